package cli

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"github.com/nethunt/nethunt/internal/human"
	"io"
	"net/netip"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/nethunt/nethunt/internal/fields"
	"github.com/nethunt/nethunt/internal/query"
	"github.com/nethunt/nethunt/internal/query/sqlq"
	"github.com/nethunt/nethunt/internal/store"
)

// defaultFields are shown by `hunt` when --fields is not given; the info
// column condenses the app-layer fields analysts glance at.
var defaultFields = []string{"timestamp", "event_type", "src_ip", "src_port", "dest_ip", "dest_port", "proto", "app_proto"}

var infoFields = []string{"alert.signature", "http.http_method", "http.hostname", "http.url", "http.status", "tls.sni", "tls.subject", "dns.rrname", "fileinfo.filename", "smb.command", "krb5.cname", "ssh.client.software_version", "dhcp.hostname", "flow.bytes_toserver", "flow.bytes_toclient"}

func init() {
	register(func() *command {
		var w window
		var limit int
		var fieldList, format string
		var asc, raw, byHost bool
		return &command{
			name: "hunt", remote: readOnly, args: "QUERY [--since 48h | --from T --to T] [--limit N] [--fields a,b] [--format table|json|csv] [--hosts]",
			short: "Show events matching a filter, newest first",
			long: `QUERY uses the hunting filter language (docs/query-language.md), e.g.
  nethunt hunt 'event_type:http AND http.http_method:CONNECT' --since 48h
  nethunt hunt 'tls.issuerdn:*Let?s Encrypt* AND NOT dest_port:443' --fields timestamp,src_ip,dest_ip,tls.sni
  nethunt hunt 'src_ip:10.10.0.0/16 AND dest_port:[8000 TO 8999]' --format json
An empty query ('' or '*') matches every event. --format json prints the
original EVE record of each event (--raw does the same for table).
--hosts switches to the hosts behind the matching events (source or
destination), with event counts and their Host Insights summary.`,
			flags: func(fs *flag.FlagSet) {
				w.flags(fs)
				fs.IntVar(&limit, "limit", 100, "maximum number of events (0 = no limit)")
				fs.StringVar(&fieldList, "fields", "", "comma-separated fields to show (see 'nethunt fields')")
				fs.StringVar(&format, "format", "table", "table, json (one original EVE record per line) or csv")
				fs.BoolVar(&asc, "asc", false, "oldest first")
				fs.BoolVar(&raw, "raw", false, "with table format: print the original EVE line under each row")
				fs.BoolVar(&byHost, "hosts", false, "show the distinct hosts behind the matching events instead of the events")
			},
			run: func(ctx context.Context, e *env, fs *flag.FlagSet, args []string) error {
				cs := &cmdStore{e: e}
				defer cs.Close()
				args, err := w.hostArgs(ctx, cs, args)
				if err != nil {
					return err
				}
				q, err := buildQuery(args, &w)
				if err != nil {
					return err
				}
				q.Limit, q.Asc = limit, asc
				q.Raw = format == "json" || raw
				if byHost {
					st, err := cs.store()
					if err != nil {
						return err
					}
					top, err := st.Top(ctx, "ip", q, max(limit, 1))
					if err != nil {
						return err
					}
					counts := make([]hostCount, len(top))
					for i, tv := range top {
						counts[i] = hostCount{tv.Value, tv.Count}
					}
					t, err := cs.hostTable(ctx)
					if err != nil {
						return err
					}
					return printHuntHosts(ctx, e, counts, t)
				}
				cols := defaultFields
				info := fieldList == ""
				if !info {
					cols = splitList(fieldList)
					for _, c := range cols {
						if f, ok := fields.Lookup(c); !ok || f.Pseudo() {
							return fmt.Errorf("unknown field %q%s", c, suggestion(c))
						}
					}
				}
				q.Fields = cols
				if info {
					q.Fields = append(append([]string(nil), cols...), infoFields...)
				}
				st, err := cs.store()
				if err != nil {
					return err
				}
				switch format {
				case "json":
					n := 0
					err = st.Search(ctx, q, func(r store.Row) error {
						n++
						_, err := io.WriteString(e.stdout, r.Raw+"\n")
						return err
					})
					return err
				case "csv":
					cw := csv.NewWriter(e.stdout)
					cw.Write(cols)
					err = st.Search(ctx, q, func(r store.Row) error {
						rec := make([]string, len(cols))
						for i, c := range cols {
							rec[i] = formatValue(r.Values[c])
						}
						return cw.Write(rec)
					})
					cw.Flush()
					if err == nil {
						err = cw.Error()
					}
					return err
				case "table":
					tw := tabwriter.NewWriter(e.stdout, 2, 4, 2, ' ', 0)
					hdr := strings.ToUpper(strings.Join(cols, "\t"))
					if info {
						hdr += "\tINFO"
					}
					fmt.Fprintln(tw, hdr)
					n := 0
					err = st.Search(ctx, q, func(r store.Row) error {
						n++
						rec := make([]string, len(cols))
						for i, c := range cols {
							rec[i] = clip(formatValue(r.Values[c]), 60)
						}
						line := strings.Join(rec, "\t")
						if info {
							line += "\t" + clip(infoOf(r.Values), 100)
						}
						fmt.Fprintln(tw, line)
						if raw {
							tw.Flush()
							fmt.Fprintln(e.stdout, "    "+r.Raw)
						}
						return nil
					})
					tw.Flush()
					if err == nil {
						fmt.Fprintf(e.stderr, "%d events shown", n)
						if limit > 0 && n == limit {
							fmt.Fprintf(e.stderr, " (limit %d; use --limit or 'nethunt count' for the total)", limit)
						}
						fmt.Fprintln(e.stderr)
					}
					return err
				}
				return usageError{"unknown --format " + format}
			},
		}
	})
	register(func() *command {
		var cw window
		return &command{
			name: "count", remote: readOnly, args: "QUERY [--since 48h | --from T --to T]",
			short: "Count events matching a filter",
			flags: func(fs *flag.FlagSet) { cw.flags(fs) },
			run: func(ctx context.Context, e *env, fs *flag.FlagSet, args []string) error {
				cs := &cmdStore{e: e}
				defer cs.Close()
				args, err := cw.hostArgs(ctx, cs, args)
				if err != nil {
					return err
				}
				q, err := buildQuery(args, &cw)
				if err != nil {
					return err
				}
				st, err := cs.store()
				if err != nil {
					return err
				}
				n, err := st.Count(ctx, q)
				if err != nil {
					return err
				}
				fmt.Fprintln(e.stdout, n)
				return nil
			},
		}
	})
	register(func() *command {
		var tw window
		var topN int
		var topFormat string
		return &command{
			name: "top", remote: readOnly, args: "FIELD [QUERY] [-n 10] [--since 48h]",
			short: "Top values of a field (with counts) among events matching a filter",
			long: `Examples:
  nethunt top tls.sni 'event_type:tls AND NOT tls.issuerdn:*DigiCert*'
  nethunt top dest_port 'http.http_method:CONNECT' -n 20
List fields (dns.rrname, dns.answers.rdata, ...) count each element.`,
			flags: func(fs *flag.FlagSet) {
				tw.flags(fs)
				fs.IntVar(&topN, "n", 10, "number of values")
				fs.StringVar(&topFormat, "format", "table", "table, json or csv")
			},
			run: func(ctx context.Context, e *env, fs *flag.FlagSet, args []string) error {
				if len(args) == 0 {
					return usageError{"name a field"}
				}
				fname := args[0]
				f, ok := fields.Lookup(fname)
				if !ok {
					return fmt.Errorf("unknown field %q%s", fname, suggestion(fname))
				}
				if f.Pseudo() {
					return fmt.Errorf("%s is a pseudo-field; use one of %s", fname, strings.Join(f.Any, ", "))
				}
				cs := &cmdStore{e: e}
				defer cs.Close()
				rest, err := tw.hostArgs(ctx, cs, args[1:])
				if err != nil {
					return err
				}
				q, err := buildQuery(rest, &tw)
				if err != nil {
					return err
				}
				st, err := cs.store()
				if err != nil {
					return err
				}
				vals, err := st.Top(ctx, fname, q, topN)
				if err != nil {
					return err
				}
				switch topFormat {
				case "json":
					return json.NewEncoder(e.stdout).Encode(vals)
				case "csv":
					c := csv.NewWriter(e.stdout)
					c.Write([]string{fname, "count"})
					for _, v := range vals {
						c.Write([]string{v.Value, strconv.FormatInt(v.Count, 10)})
					}
					c.Flush()
					return c.Error()
				}
				t := tabwriter.NewWriter(e.stdout, 2, 4, 2, ' ', tabwriter.AlignRight)
				fmt.Fprintf(t, "COUNT\t  %s\n", strings.ToUpper(fname))
				for _, v := range vals {
					fmt.Fprintf(t, "%d\t  %s\n", v.Count, v.Value)
				}
				return t.Flush()
			},
		}
	})
	register(func() *command {
		return &command{
			name: "stats", remote: readOnly, args: "",
			short: "Events per type, time span and size of the store",
			run: func(ctx context.Context, e *env, fs *flag.FlagSet, args []string) error {
				st, err := openStore(e, true)
				if err != nil {
					return err
				}
				defer st.Close()
				s, err := st.Stats(ctx)
				if err != nil {
					return err
				}
				fmt.Fprintf(e.stdout, "store:   %s (%s)\n", e.cfg.Store.Path, human.Bytes(s.Bytes))
				fmt.Fprintf(e.stdout, "events:  %d\n", s.Total)
				if s.Total > 0 {
					fmt.Fprintf(e.stdout, "span:    %s .. %s (%s)\n", s.First.UTC().Format(time.RFC3339), s.Last.UTC().Format(time.RFC3339), s.Last.Sub(s.First).Round(time.Second))
				}
				t := tabwriter.NewWriter(e.stdout, 2, 4, 2, ' ', tabwriter.AlignRight)
				fmt.Fprintln(t, "EVENTS\t  EVENT_TYPE")
				for _, kv := range sortedCounts(s.ByType) {
					fmt.Fprintf(t, "%d\t  %s\n", kv.n, kv.k)
				}
				if err := t.Flush(); err != nil {
					return err
				}
				printState(e, st.Seq())
				return nil
			},
		}
	})
}

type kv struct {
	k string
	n int64
}

func sortedCounts(m map[string]int64) []kv {
	var out []kv
	for k, n := range m {
		out = append(out, kv{k, n})
	}
	for i := 1; i < len(out); i++ {
		for j := i; j > 0 && (out[j].n > out[j-1].n || (out[j].n == out[j-1].n && out[j].k < out[j-1].k)); j-- {
			out[j], out[j-1] = out[j-1], out[j]
		}
	}
	return out
}

// buildQuery parses the filter (args joined, so unquoted multi-word queries
// work) and the time window into a store query.
func buildQuery(args []string, w *window) (store.Query, error) {
	var q store.Query
	from, to, err := w.resolve(time.Now().UTC())
	if err != nil {
		return q, err
	}
	q.From, q.To = from, to
	text := strings.TrimSpace(strings.Join(args, " "))
	if text == "" || text == "*" {
		return q, nil
	}
	expr, err := query.Parse(text)
	if err != nil {
		var qe *query.Error
		if errors.As(err, &qe) {
			return q, fmt.Errorf("%v\n%s", qe, qe.Caret(text))
		}
		return q, err
	}
	q.Where, q.Args, err = sqlq.Where(expr)
	return q, err
}

func splitList(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

func suggestion(name string) string {
	if s := fields.Suggest(name, 3); len(s) > 0 {
		return " (did you mean " + strings.Join(s, ", ") + "?)"
	}
	return " (see 'nethunt fields')"
}

func formatValue(v any) string {
	switch x := v.(type) {
	case nil:
		return ""
	case string:
		return x
	case time.Time:
		return x.UTC().Format("2006-01-02T15:04:05.000000Z")
	case netip.Addr:
		return x.String()
	case []string:
		return strings.Join(x, ",")
	case []any:
		parts := make([]string, len(x))
		for i, y := range x {
			parts[i] = formatValue(y)
		}
		return strings.Join(parts, ",")
	case []int64:
		parts := make([]string, len(x))
		for i, y := range x {
			parts[i] = strconv.FormatInt(y, 10)
		}
		return strings.Join(parts, ",")
	}
	return fmt.Sprint(v)
}

// infoOf condenses the app-layer fields of a row into one readable cell.
func infoOf(v map[string]any) string {
	get := func(k string) string { return formatValue(v[k]) }
	var parts []string
	if s := get("alert.signature"); s != "" {
		parts = append(parts, "alert: "+s)
	}
	if m := get("http.http_method"); m != "" || get("http.hostname") != "" {
		p := strings.TrimSpace(m + " " + get("http.hostname") + " " + get("http.url"))
		if st := get("http.status"); st != "" {
			p += " → " + st
		}
		parts = append(parts, p)
	}
	if s := get("tls.sni"); s != "" {
		parts = append(parts, "sni="+s)
	} else if s := get("tls.subject"); s != "" {
		parts = append(parts, "subject="+s)
	}
	for _, k := range []string{"dns.rrname", "fileinfo.filename", "smb.command", "krb5.cname", "ssh.client.software_version", "dhcp.hostname"} {
		if s := get(k); s != "" {
			parts = append(parts, k[strings.LastIndexByte(k, '.')+1:]+"="+s)
		}
	}
	if len(parts) == 0 {
		if a, b := get("flow.bytes_toserver"), get("flow.bytes_toclient"); a != "" {
			parts = append(parts, "bytes "+a+"/"+b)
		}
	}
	return strings.Join(parts, "  ")
}

func clip(s string, n int) string {
	s = strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f {
			return '.'
		}
		return r
	}, s)
	if len(s) > n {
		return s[:n-1] + "…"
	}
	return s
}
