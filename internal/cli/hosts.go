package cli

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"net/netip"
	"os"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/nethunt/nethunt/internal/hosts"
	"github.com/nethunt/nethunt/internal/query"
	"github.com/nethunt/nethunt/internal/store"
)

func init() {
	register(func() *command {
		var limit int
		var format string
		return &command{
			name: "hosts", remote: func(a []string) bool { return !(len(a) == 1 && a[0] == "rebuild") }, args: "[QUERY] [--limit 100] [--format table|json] | rebuild",
			short: "Host Insights: hosts whose profile matches a filter on host.* fields",
			long: `Every host seen in the events has a living profile (docs/host-insights.md).
QUERY uses the filter language on host.* fields, e.g.
  nethunt hosts 'host.roles:"http proxy" AND NOT host.approved:true'
  nethunt hosts 'host.services.port:8443 AND host.internal:true'
  nethunt hosts 'host.groups:Users AND host.roles:*'
'nethunt hosts rebuild' recomputes every profile from the stored events.
'nethunt host IP' shows one host's full card.`,
			flags: func(fs *flag.FlagSet) {
				fs.IntVar(&limit, "limit", 100, "maximum number of hosts (0 = all)")
				fs.StringVar(&format, "format", "table", "table or json")
			},
			run: func(ctx context.Context, e *env, fs *flag.FlagSet, args []string) error {
				if len(args) == 1 && args[0] == "rebuild" {
					return rebuildHosts(ctx, e)
				}
				text := strings.TrimSpace(strings.Join(args, " "))
				if text == "*" {
					text = ""
				}
				// Parse before opening anything: a typo answers at once.
				if _, err := hosts.Parse(text); err != nil {
					var qe *query.Error
					if errors.As(err, &qe) {
						return fmt.Errorf("%v\n%s", qe, qe.Caret(text))
					}
					return err
				}
				t0 := time.Now()
				rows, profiled, via, err := queryHosts(ctx, e, text, limit)
				if err != nil {
					return err
				}
				took := time.Since(t0)
				if format == "json" {
					enc := json.NewEncoder(e.stdout)
					for _, r := range rows {
						if err := enc.Encode(r); err != nil {
							return err
						}
					}
					return nil
				}
				if err := hosts.WriteSummaries(e.stdout, rows); err != nil {
					return err
				}
				fmt.Fprintf(e.stderr, "%d hosts shown of %d profiled (query %s, %s)\n", len(rows), profiled, took.Round(time.Microsecond), via)
				return nil
			},
		}
	})
	register(func() *command {
		var hformat string
		return &command{
			name: "host", remote: readOnly, args: "IP [--format text|json]",
			short: "One host's full Host Insights card",
			long: `Shows what a host serves, who uses it, its names, users, fingerprints,
roles with their evidence and traffic, each value with first and last seen.`,
			flags: func(fs *flag.FlagSet) {
				fs.StringVar(&hformat, "format", "text", "text or json")
			},
			run: func(ctx context.Context, e *env, fs *flag.FlagSet, args []string) error {
				if len(args) != 1 {
					return usageError{"name one IP address"}
				}
				ip, err := netip.ParseAddr(args[0])
				if err != nil {
					return usageError{fmt.Sprintf("%q is not an IP address", args[0])}
				}
				ip = ip.Unmap()
				var c hosts.Card
				var ok, current bool
				if e.live == nil {
					c, ok, current = snapshotCard(e.cfg, ip)
				}
				if !current {
					st, err := openStore(e, true)
					if err != nil {
						return err
					}
					defer st.Close()
					t, err := currentHosts(ctx, e, st)
					if err != nil {
						return err
					}
					c, ok = t.Get(ip)
				}
				if !ok {
					return fmt.Errorf("no profile for %s: it appears in no stored event", ip)
				}
				if hformat == "json" {
					enc := json.NewEncoder(e.stdout)
					enc.SetIndent("", "  ")
					return enc.Encode(c)
				}
				return hosts.WriteCard(e.stdout, c)
			},
		}
	})
}

// queryHosts answers a host query the cheapest exact way and says which:
// the owner's live table, the query columns, the snapshot, or the snapshot
// caught up from the store.
func queryHosts(ctx context.Context, e *env, text string, limit int) (rows []hosts.Summary, profiled int, via string, err error) {
	if e.live != nil && e.live.hosts != nil {
		rows, err = e.live.hosts.Query(text, limit)
		return rows, e.live.hosts.Len(), "in memory, by the process owning the store", err
	}
	if rows, profiled, ok := queryRows(e.cfg, text, limit); ok {
		return rows, profiled, "from the query columns", nil
	}
	t, ok := snapshotHosts(e.cfg)
	via = "from the snapshot"
	if !ok {
		st, err := openStore(e, true)
		if err != nil {
			return nil, 0, "", err
		}
		defer st.Close()
		if t, err = currentHosts(ctx, e, st); err != nil {
			return nil, 0, "", err
		}
		via = "from the snapshot and the store"
	}
	rows, err = t.Query(text, limit)
	return rows, t.Len(), via, err
}

// rebuildHosts recomputes Host Insights from every stored event, for a
// lost or damaged snapshot or after changing approved proxies.
func rebuildHosts(ctx context.Context, e *env) error {
	st, err := openStore(e, false)
	if err != nil {
		return err
	}
	defer st.Close()
	h, err := loadHosts(e.cfg)
	if err != nil && !strings.Contains(err.Error(), "host insights state") {
		return err
	}
	if h == nil {
		opt, err := hostsOptions(e.cfg)
		if err != nil {
			return err
		}
		h = &hostStage{T: hosts.New(opt), path: hostsSnapPath(e.cfg)}
	}
	h.T.Reset()
	h.seq = 0
	t0 := time.Now()
	if err := replay(ctx, e.cfg, nil, st, []catchUp{{h, 0}}, e.stderr); err != nil {
		return err
	}
	if err := h.Snapshot(st.Seq()); err != nil {
		return err
	}
	if err := h.SaveRows(); err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "rebuilt %d host profiles in %s\n", h.T.Len(), time.Since(t0).Round(time.Millisecond))
	return nil
}

// hostsOfHunt prints the distinct hosts behind events matching a hunt, with
// their event counts and Host Insights summary: the "Hosts tab" of a hunt.
func printHuntHosts(ctx context.Context, e *env, counts []hostCount, t *hosts.Table) error {
	tw := tabwriter.NewWriter(e.stdout, 2, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "EVENTS\tHOST\tINT\tGROUPS\tROLES\tFIRST SEEN\tNAME")
	for _, hc := range counts {
		var c hosts.Card
		ok := false
		if a, err := netip.ParseAddr(hc.ip); err == nil {
			c, ok = t.Get(a)
		}
		in, groups, roles, first, name := "", "", "", "", ""
		if ok {
			in = "ext"
			if c.Internal {
				in = "int"
			}
			var gs, rs []string
			for _, g := range c.Groups.Values {
				gs = append(gs, g.Value)
			}
			for _, r := range c.Roles {
				rs = append(rs, r.Name)
			}
			if c.Approved {
				rs = append(rs, "(approved)")
			}
			groups, roles = strings.Join(gs, ","), strings.Join(rs, ",")
			first = c.FirstSeen.UTC().Format("2006-01-02 15:04")
			if len(c.Names.Hostnames.Values) > 0 {
				name = c.Names.Hostnames.Values[0].Value
			}
		}
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%s\t%s\n", hc.n, hc.ip, in, groups, clip(roles, 40), first, clip(name, 40))
	}
	return tw.Flush()
}

type hostCount struct {
	ip string
	n  int64
}

var _ = os.Stderr

// maxHostFilter bounds how many hosts a --src-hosts/--dest-hosts filter may
// expand to (each becomes a bound address in the event query).
const maxHostFilter = 5000

// hostArgs appends the --src-hosts/--dest-hosts filters to a query as
// address lists resolved from Host Insights. Addresses come from the host
// table (valid IPs), and are bound as parameters like any query value.
func (w *window) hostArgs(ctx context.Context, cs *cmdStore, args []string) ([]string, error) {
	if w.srcHosts == "" && w.destHosts == "" {
		return args, nil
	}
	t, err := cs.hostTable(ctx)
	if err != nil {
		return nil, err
	}
	out := args
	if len(out) > 0 && strings.TrimSpace(strings.Join(out, " ")) != "" && strings.TrimSpace(strings.Join(out, " ")) != "*" {
		out = []string{"(" + strings.Join(args, " ") + ")"}
	} else {
		out = nil
	}
	for _, f := range []struct{ field, q, flag string }{{"src_ip", w.srcHosts, "--src-hosts"}, {"dest_ip", w.destHosts, "--dest-hosts"}} {
		if f.q == "" {
			continue
		}
		rows, err := t.Query(f.q, maxHostFilter+1)
		if err != nil {
			var qe *query.Error
			if errors.As(err, &qe) {
				return nil, fmt.Errorf("%s: %v\n%s", f.flag, qe, qe.Caret(f.q))
			}
			return nil, fmt.Errorf("%s: %w", f.flag, err)
		}
		if len(rows) > maxHostFilter {
			return nil, fmt.Errorf("%s matches more than %d hosts; narrow it", f.flag, maxHostFilter)
		}
		if len(rows) == 0 {
			return nil, fmt.Errorf("%s %q matches no host", f.flag, f.q)
		}
		ips := make([]string, len(rows))
		for i, r := range rows {
			ips[i] = r.IP
		}
		term := f.field + ":(" + strings.Join(ips, " OR ") + ")"
		if len(out) > 0 {
			out = append(out, "AND")
		}
		out = append(out, term)
	}
	return out, nil
}

// cmdStore opens the store, and loads Host Insights, at most once per
// command, so host filters, the hosts view and the hunt share them.
type cmdStore struct {
	e     *env
	st    store.Store
	hosts *hosts.Table
}

func (c *cmdStore) store() (store.Store, error) {
	if c.st == nil {
		st, err := openStore(c.e, true)
		if err != nil {
			return nil, err
		}
		c.st = st
	}
	return c.st, nil
}

func (c *cmdStore) hostTable(ctx context.Context) (*hosts.Table, error) {
	if c.hosts == nil {
		st, err := c.store()
		if err != nil {
			return nil, err
		}
		if c.hosts, err = currentHosts(ctx, c.e, st); err != nil {
			return nil, err
		}
	}
	return c.hosts, nil
}

// Close closes the store if it was opened.
func (c *cmdStore) Close() {
	if c.st != nil {
		c.st.Close()
	}
}
