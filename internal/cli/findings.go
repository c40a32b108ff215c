package cli

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/netip"
	"slices"
	"sort"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/nethunt/nethunt/internal/decode"
	"github.com/nethunt/nethunt/internal/detect"
	"github.com/nethunt/nethunt/internal/event"
	"github.com/nethunt/nethunt/internal/store"
)

// findingFieldNames are the registry fields a finding is rebuilt from when
// the store keeps no original lines.
var findingFieldNames = []string{"timestamp", "finding.id", "finding.detector", "finding.kind", "finding.technique", "finding.title",
	"finding.explanation", "finding.severity", "finding.score", "finding.decision", "finding.reasons", "finding.hosts",
	"finding.clients", "finding.proxy", "finding.destinations", "finding.domains", "finding.hop_count", "finding.evidence",
	"finding.first_seen", "finding.last_seen", "finding.event_count"}

// loadFindings reads finding events matching q (its Where is ANDed with
// event_type:finding by the caller) and returns the latest version of
// each finding id.
// storedFindings opens the store read-only for one query of findings.
func storedFindings(ctx context.Context, e *env, q store.Query) ([]event.Finding, error) {
	st, err := openStore(e, true)
	if err != nil {
		return nil, err
	}
	defer st.Close()
	return loadFindings(ctx, st, q)
}

func loadFindings(ctx context.Context, st store.Store, q store.Query) ([]event.Finding, error) {
	q.Fields = findingFieldNames
	q.Raw = true
	q.Limit = 0
	var out []event.Finding
	err := st.Search(ctx, q, func(r store.Row) error {
		if r.Raw != "" {
			if ev, err := decode.Decode([]byte(r.Raw)); err == nil && ev.Finding != nil {
				out = append(out, *ev.Finding)
				return nil
			}
		}
		out = append(out, findingFromRow(r.Values))
		return nil
	})
	if err != nil {
		return nil, err
	}
	return detect.Latest(out), nil
}

func findingFromRow(v map[string]any) event.Finding {
	s := func(k string) string { return formatValue(v["finding."+k]) }
	l := func(k string) []string {
		switch x := v["finding."+k].(type) {
		case []any:
			out := make([]string, 0, len(x))
			for _, y := range x {
				out = append(out, formatValue(y))
			}
			return out
		case []string:
			return x
		}
		return nil
	}
	n := func(k string) int64 {
		i, _ := strconv.ParseInt(s(k), 10, 64)
		return i
	}
	t := func(k string) string {
		if tv, ok := v["finding."+k].(time.Time); ok {
			return tv.UTC().Format("2006-01-02T15:04:05.000000Z07:00")
		}
		return s(k)
	}
	return event.Finding{ID: s("id"), Detector: s("detector"), Kind: s("kind"), Technique: s("technique"), Title: s("title"),
		Explanation: s("explanation"), Severity: s("severity"), Score: n("score"), Decision: s("decision"), Reasons: l("reasons"),
		Hosts: l("hosts"), Clients: l("clients"), Proxy: s("proxy"), Destinations: l("destinations"), Domains: l("domains"),
		HopCount: n("hop_count"), Evidence: l("evidence"), FirstSeen: t("first_seen"), LastSeen: t("last_seen"), EventCount: n("event_count")}
}

// findingQuery builds the store query for findings: event_type:finding,
// optionally escalated only, AND the user's filter.
func findingQuery(args []string, w *window, escalated bool, kind string) (store.Query, error) {
	text := "event_type:finding"
	if escalated {
		text += " AND finding.decision:escalate"
	}
	if kind != "" {
		text += " AND finding.kind:" + strconv.Quote(kind)
	}
	if extra := strings.TrimSpace(strings.Join(args, " ")); extra != "" && extra != "*" {
		text += " AND (" + extra + ")"
	}
	return buildQuery([]string{text}, w)
}

func init() {
	register(func() *command {
		var w window
		var escalated bool
		var format, kind string
		var limit int
		return &command{
			name: "findings", remote: readOnly, args: "[QUERY] [--since 48h] [--escalated] [--kind K] [--format table|json]",
			short: "Rogue-proxy and T1090 findings, with their escalate / review decision",
			long: `Findings are stored as events (event_type:finding) and re-emitted with the
same id as evidence accumulates; this lists the latest version of each,
escalated first, then by score. QUERY narrows them with the filter
language, e.g.
  nethunt findings --escalated --since 48h
  nethunt findings 'finding.technique:T1090.003'
  nethunt findings 'finding.clients:10.10.0.0/16' --format json
Then: nethunt explain FINDING_ID. Detectors and thresholds:
docs/detections.md.`,
			flags: func(fs *flag.FlagSet) {
				w.flags(fs)
				fs.BoolVar(&escalated, "escalated", false, "only findings whose decision is escalate")
				fs.StringVar(&kind, "kind", "", "only this kind (internal_proxy, external_proxy, socks_proxy, tor, tunnel_service, domain_fronting, proxy_chain, cdn_abuse, new_destination, intel_match, possible_proxy)")
				fs.StringVar(&format, "format", "table", "table or json (one finding object per line)")
				fs.IntVar(&limit, "limit", 0, "maximum number of findings (0 = all)")
			},
			run: func(ctx context.Context, e *env, fs *flag.FlagSet, args []string) error {
				if format != "table" && format != "json" {
					return usageError{"unknown --format " + format}
				}
				q, err := findingQuery(args, &w, escalated, kind)
				if err != nil {
					return err
				}
				list, err := storedFindings(ctx, e, q)
				if err != nil {
					return err
				}
				sortFindings(list)
				if limit > 0 && len(list) > limit {
					list = list[:limit]
				}
				if format == "json" {
					enc := json.NewEncoder(e.stdout)
					enc.SetEscapeHTML(false)
					for _, f := range list {
						if err := enc.Encode(f); err != nil {
							return err
						}
					}
					return nil
				}
				return writeFindingsTable(e.stdout, e.stderr, list)
			},
		}
	})
	register(func() *command {
		var ew window
		var eformat string
		var evLimit int
		return &command{
			name: "explain", remote: readOnly, args: "FINDING_ID [--format text|json] [--events 200]",
			short: "A finding's evidence chain: decision and reasons, evidence events, per-host timeline",
			long: `Prints the latest version of the finding (title, decision, score and each
reason, explanation, hosts), then the evidence events fetched back from
the store by the finding's references (every record of each referenced
flow_id / community_id), then a timeline per host involved.`,
			flags: func(fs *flag.FlagSet) {
				ew.flags(fs)
				fs.StringVar(&eformat, "format", "text", "text or json")
				fs.IntVar(&evLimit, "events", 200, "maximum number of evidence events shown")
			},
			run: func(ctx context.Context, e *env, fs *flag.FlagSet, args []string) error {
				if len(args) != 1 {
					return usageError{"name one finding id (see 'nethunt findings')"}
				}
				id := args[0]
				q, err := findingQuery([]string{"finding.id:" + strconv.Quote(id)}, &ew, false, "")
				if err != nil {
					return err
				}
				st, err := openStore(e, true)
				if err != nil {
					return err
				}
				defer st.Close()
				list, err := loadFindings(ctx, st, q)
				if err != nil {
					return err
				}
				if len(list) == 0 {
					return fmt.Errorf("no finding %q (in the window given)", id)
				}
				f := list[0]
				evs, err := evidenceEvents(ctx, st, f, evLimit)
				if err != nil {
					return err
				}
				if eformat == "json" {
					enc := json.NewEncoder(e.stdout)
					enc.SetEscapeHTML(false)
					enc.SetIndent("", "  ")
					rows := make([]map[string]string, 0, len(evs))
					for _, r := range evs {
						m := map[string]string{}
						for k, v := range r.Values {
							if s := formatValue(v); s != "" {
								m[k] = s
							}
						}
						rows = append(rows, m)
					}
					return enc.Encode(struct {
						Finding  event.Finding       `json:"finding"`
						Evidence []map[string]string `json:"evidence"`
					}{f, rows})
				}
				if eformat != "text" {
					return usageError{"unknown --format " + eformat}
				}
				return writeExplain(e.stdout, f, evs)
			},
		}
	})
	register(func() *command {
		var bw window
		var bformat string
		var internal bool
		return &command{
			name: "export", remote: readOnly, args: "blocklist [--format list|csv|suricata] [--since 7d] [--internal]",
			short: "Containment: IPs and domains of escalated findings, as a list, CSV or Suricata rules",
			long: `Collects what to block from the escalated findings (latest version of each):
external proxies and relays (addresses), Tor relays and onion / Tor2web
names, tunnel names, fronted (hidden) names, abused CDN names and
confirmed threat-intel indicators. Shared infrastructure addresses (CDN
edges, tunnel providers) are never exported, only names.
  nethunt export blocklist > block.txt
  nethunt export blocklist --format suricata > nethunt-block.rules
Suricata rules use sids from 9000000 upwards and alert on traffic to the
addresses and on DNS queries, TLS SNI and HTTP Host of the names.
--internal adds internal hosts that proxy (for internal ACLs).`,
			flags: func(fs *flag.FlagSet) {
				bw.flags(fs)
				fs.StringVar(&bformat, "format", "list", "list, csv or suricata")
				fs.BoolVar(&internal, "internal", false, "also export internal proxies and relays")
			},
			run: func(ctx context.Context, e *env, fs *flag.FlagSet, args []string) error {
				if len(args) != 1 || args[0] != "blocklist" {
					return usageError{"export what? (blocklist)"}
				}
				q, err := findingQuery(nil, &bw, true, "")
				if err != nil {
					return err
				}
				list, err := storedFindings(ctx, e, q)
				if err != nil {
					return err
				}
				items := blocklist(list, internal)
				switch bformat {
				case "list":
					for _, it := range items {
						fmt.Fprintln(e.stdout, it.value)
					}
				case "csv":
					cw := csv.NewWriter(e.stdout)
					cw.Write([]string{"type", "value", "finding_ids", "kinds", "title"})
					for _, it := range items {
						cw.Write([]string{it.typ, it.value, strings.Join(it.ids, " "), strings.Join(it.kinds, " "), it.title})
					}
					cw.Flush()
					return cw.Error()
				case "suricata":
					return writeSuricataRules(e.stdout, items)
				default:
					return usageError{"unknown --format " + bformat}
				}
				if len(items) == 0 {
					fmt.Fprintln(e.stderr, "no escalated findings with something to block")
				}
				return nil
			},
		}
	})
}

// sortFindings: escalated first, then by score, then most recent.
func sortFindings(l []event.Finding) {
	sort.SliceStable(l, func(i, j int) bool {
		a, b := l[i], l[j]
		if (a.Decision == detect.Escalate) != (b.Decision == detect.Escalate) {
			return a.Decision == detect.Escalate
		}
		if a.Score != b.Score {
			return a.Score > b.Score
		}
		if a.LastSeen != b.LastSeen {
			return a.LastSeen > b.LastSeen
		}
		return a.ID < b.ID
	})
}

func writeFindingsTable(w, errw io.Writer, list []event.Finding) error {
	tw := tabwriter.NewWriter(w, 2, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tDECISION\tSCORE\tSEVERITY\tKIND\tTECHNIQUE\tLAST SEEN\tEVENTS\tTITLE")
	for _, f := range list {
		fmt.Fprintf(tw, "%s\t%s\t%d\t%s\t%s\t%s\t%s\t%d\t%s\n", f.ID, f.Decision, f.Score, f.Severity, f.Kind, f.Technique,
			shortRFC3339(f.LastSeen), f.EventCount, clip(f.Title, 100))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	esc := 0
	for _, f := range list {
		if f.Decision == detect.Escalate {
			esc++
		}
	}
	fmt.Fprintf(errw, "%d findings (%d escalate, %d review); 'nethunt explain ID' shows the evidence\n", len(list), esc, len(list)-esc)
	return nil
}

func shortRFC3339(s string) string {
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return t.UTC().Format("2006-01-02 15:04:05")
	}
	return s
}

var evidenceFields = append([]string{"timestamp", "event_type", "src_ip", "src_port", "dest_ip", "dest_port", "proto", "app_proto", "flow_id", "community_id"}, infoFields...)

// evidenceEvents fetches the events a finding references (all records of
// each referenced flow or community id), oldest first, without findings.
func evidenceEvents(ctx context.Context, st store.Store, f event.Finding, limit int) ([]store.Row, error) {
	var flows, cids, other []string
	for _, r := range f.Evidence {
		switch {
		case strings.HasPrefix(r, "flow_id:"):
			flows = append(flows, strings.TrimPrefix(r, "flow_id:"))
		case strings.HasPrefix(r, "community_id:"):
			cids = append(cids, strconv.Quote(strings.TrimPrefix(r, "community_id:")))
		default:
			other = append(other, r)
		}
	}
	var parts []string
	if len(flows) > 0 {
		parts = append(parts, "flow_id:("+strings.Join(flows, " OR ")+")")
	}
	if len(cids) > 0 {
		parts = append(parts, "community_id:("+strings.Join(cids, " OR ")+")")
	}
	var rows []store.Row
	for _, o := range other {
		// "<event_type>@<timestamp>": that record, by type and time
		typ, tsv, ok := strings.Cut(o, "@")
		t, err := event.ParseTime(tsv)
		if !ok || typ == "" || err != nil {
			continue
		}
		q, err := buildQuery([]string{"event_type:" + strconv.Quote(typ)}, &window{})
		if err != nil {
			continue
		}
		q.From, q.To = t, t.Add(time.Microsecond)
		q.Fields, q.Asc, q.Limit = evidenceFields, true, 10
		if err := st.Search(ctx, q, func(r store.Row) error { rows = append(rows, r); return nil }); err != nil {
			return nil, err
		}
	}
	if len(parts) == 0 {
		return rows, nil
	}
	q, err := buildQuery([]string{"NOT event_type:(finding OR sighting) AND (" + strings.Join(parts, " OR ") + ")"}, &window{})
	if err != nil {
		return nil, err
	}
	q.Fields, q.Asc, q.Limit = evidenceFields, true, limit
	err = st.Search(ctx, q, func(r store.Row) error {
		rows = append(rows, r)
		return nil
	})
	sort.SliceStable(rows, func(i, j int) bool {
		a, _ := rows[i].Values["timestamp"].(time.Time)
		b, _ := rows[j].Values["timestamp"].(time.Time)
		return a.Before(b)
	})
	return rows, err
}

func writeExplain(w io.Writer, f event.Finding, evs []store.Row) error {
	p := func(format string, a ...any) { fmt.Fprintf(w, format, a...) }
	p("%s  %s\n", f.ID, f.Title)
	p("decision:   %s (score %d, severity %s)\n", strings.ToUpper(f.Decision), f.Score, f.Severity)
	p("kind:       %s (%s, detector %s)\n", f.Kind, f.Technique, f.Detector)
	p("seen:       %s .. %s, %d evidence events\n", f.FirstSeen, f.LastSeen, f.EventCount)
	p("\nreasons:\n")
	for _, r := range f.Reasons {
		p("  %s\n", r)
	}
	p("\nexplanation:\n  %s\n", f.Explanation)
	p("\ninvolved:\n")
	if f.Proxy != "" {
		p("  proxy / pivot: %s\n", f.Proxy)
	}
	if f.HopCount > 0 {
		p("  hop count:     %d\n", f.HopCount)
	}
	if len(f.Clients) > 0 {
		p("  clients:       %s\n", strings.Join(f.Clients, ", "))
	}
	if len(f.Destinations) > 0 {
		p("  destinations:  %s\n", strings.Join(f.Destinations, ", "))
	}
	if len(f.Domains) > 0 {
		p("  domains:       %s\n", strings.Join(f.Domains, ", "))
	}
	p("  hosts:         %s\n", strings.Join(f.Hosts, ", "))
	p("\nevidence (%d references, %d events):\n", len(f.Evidence), len(evs))
	tw := tabwriter.NewWriter(w, 2, 4, 2, ' ', 0)
	for _, r := range evs {
		v := func(k string) string { return formatValue(r.Values[k]) }
		fmt.Fprintf(tw, "  %s\t%s\t%s:%s -> %s:%s\t%s\t%s\n", v("timestamp"), v("event_type"), v("src_ip"), v("src_port"), v("dest_ip"), v("dest_port"), v("app_proto"), clip(infoOf(r.Values), 110))
	}
	tw.Flush()
	// per-host timeline: first and last evidence per host, and what it did
	p("\ntimeline per host:\n")
	type hostLine struct {
		first, last string
		n           int
		what        []string
	}
	lines := map[string]*hostLine{}
	var order []string
	for _, r := range evs {
		for _, side := range []string{"src_ip", "dest_ip"} {
			h := formatValue(r.Values[side])
			if h == "" || !slices.Contains(f.Hosts, h) {
				continue
			}
			hl := lines[h]
			if hl == nil {
				hl = &hostLine{first: formatValue(r.Values["timestamp"])}
				lines[h] = hl
				order = append(order, h)
			}
			hl.last = formatValue(r.Values["timestamp"])
			hl.n++
			peer := formatValue(r.Values["dest_ip"])
			dir := "->"
			if side == "dest_ip" {
				peer, dir = formatValue(r.Values["src_ip"]), "<-"
			}
			what := formatValue(r.Values["event_type"]) + " " + dir + " " + peer
			if len(hl.what) < 6 && !slices.Contains(hl.what, what) {
				hl.what = append(hl.what, what)
			}
		}
	}
	for _, h := range f.Hosts {
		if lines[h] == nil {
			order = append(order, h)
			lines[h] = &hostLine{}
		}
	}
	for _, h := range order {
		hl := lines[h]
		role := hostRole(f, h)
		if hl.n == 0 {
			p("  %-16s %s: no evidence event fetched\n", h, role)
			continue
		}
		p("  %-16s %s: %d events %s .. %s\n", h, role, hl.n, hl.first, hl.last)
		for _, wh := range hl.what {
			p("      %s\n", wh)
		}
	}
	return nil
}

func hostRole(f event.Finding, h string) string {
	switch {
	case f.Proxy != "" && (f.Proxy == h || strings.HasPrefix(f.Proxy, h+":")):
		return "proxy/pivot"
	case slices.Contains(f.Clients, h):
		return "client"
	case slices.Contains(f.Destinations, h):
		return "destination"
	}
	return "involved"
}

// ---- blocklist -------------------------------------------------------------

type blockItem struct {
	typ, value string // ip or domain
	ids, kinds []string
	title      string
}

// blocklist collects what to block from escalated findings: external
// addresses of proxies, relays and confirmed indicators, and names of
// tunnels, hidden (fronted) sites, abused CDN names and Tor names. Shared
// infrastructure (CDN edges, tunnel providers) is not exported by address.
func blocklist(list []event.Finding, internal bool) []blockItem {
	m := map[string]*blockItem{}
	add := func(typ, v string, f event.Finding) {
		v = strings.ToLower(strings.TrimSuffix(strings.TrimSpace(v), "."))
		if v == "" {
			return
		}
		k := typ + " " + v
		it := m[k]
		if it == nil {
			it = &blockItem{typ: typ, value: v, title: f.Title}
			m[k] = it
		}
		if !slices.Contains(it.ids, f.ID) {
			it.ids = append(it.ids, f.ID)
		}
		if !slices.Contains(it.kinds, f.Kind) {
			it.kinds = append(it.kinds, f.Kind)
		}
	}
	addr := func(s string, f event.Finding) {
		if ap, err := netip.ParseAddrPort(s); err == nil {
			s = ap.Addr().String()
		}
		a, err := netip.ParseAddr(s)
		if err != nil {
			return
		}
		if a.IsPrivate() || a.IsLoopback() || a.IsLinkLocalUnicast() {
			if !internal {
				return
			}
		}
		add("ip", a.String(), f)
	}
	for _, f := range list {
		if f.Decision != detect.Escalate {
			continue
		}
		switch f.Kind {
		case detect.KindExternalProxy, detect.KindSOCKS, detect.KindChain, detect.KindTor, detect.KindNewDest, detect.KindInternalProxy, detect.KindIntel:
			if f.Proxy != "" {
				addr(f.Proxy, f)
			}
			for _, d := range f.Destinations {
				addr(d, f)
			}
		}
		switch f.Kind {
		case detect.KindTor, detect.KindTunnel, detect.KindFronting, detect.KindCDN, detect.KindIntel:
			for _, d := range f.Domains {
				if _, err := netip.ParseAddr(d); err != nil {
					add("domain", d, f)
				}
			}
		}
	}
	out := make([]blockItem, 0, len(m))
	for _, it := range m {
		out = append(out, *it)
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].typ != out[j].typ {
			return out[i].typ < out[j].typ
		}
		return out[i].value < out[j].value
	})
	return out
}

// suricataSIDBase is where nethunt's generated rules start.
const suricataSIDBase = 9000000

// writeSuricataRules writes one rule per address and three per domain (DNS
// query, TLS SNI, HTTP Host; the name and its subdomains), sids unique
// and increasing from suricataSIDBase in the sorted order of the items.
func writeSuricataRules(w io.Writer, items []blockItem) error {
	fmt.Fprintf(w, "# nethunt blocklist: %d indicators from escalated findings, generated %s\n", len(items), time.Now().UTC().Format(time.RFC3339))
	sid := suricataSIDBase
	msgSafe := func(s string) string {
		return strings.Map(func(r rune) rune {
			switch r {
			case '"', ';', '\\', '\n', '\r':
				return ' '
			}
			return r
		}, s)
	}
	for _, it := range items {
		ref := msgSafe(strings.Join(it.kinds, ",") + " " + strings.Join(it.ids, ","))
		switch it.typ {
		case "ip":
			fmt.Fprintf(w, "alert ip $HOME_NET any -> %s any (msg:\"NETHUNT escalated finding: traffic to %s (%s)\"; classtype:trojan-activity; sid:%d; rev:1; metadata:created_by nethunt;)\n",
				it.value, it.value, ref, sid)
			sid++
		case "domain":
			if !validRuleName(it.value) {
				fmt.Fprintf(w, "# skipped %q: not a plain DNS name\n", it.value)
				continue
			}
			fmt.Fprintf(w, "alert dns $HOME_NET any -> any any (msg:\"NETHUNT escalated finding: DNS query for %s (%s)\"; dns.query; dotprefix; content:\".%s\"; nocase; endswith; classtype:trojan-activity; sid:%d; rev:1; metadata:created_by nethunt;)\n",
				it.value, ref, it.value, sid)
			sid++
			fmt.Fprintf(w, "alert tls $HOME_NET any -> any any (msg:\"NETHUNT escalated finding: TLS SNI %s (%s)\"; tls.sni; dotprefix; content:\".%s\"; nocase; endswith; classtype:trojan-activity; sid:%d; rev:1; metadata:created_by nethunt;)\n",
				it.value, ref, it.value, sid)
			sid++
			fmt.Fprintf(w, "alert http $HOME_NET any -> any any (msg:\"NETHUNT escalated finding: HTTP Host %s (%s)\"; http.host; dotprefix; content:\".%s\"; endswith; classtype:trojan-activity; sid:%d; rev:1; metadata:created_by nethunt;)\n",
				it.value, ref, it.value, sid)
			sid++
		}
	}
	return nil
}

// validRuleName: a lower-case DNS name that is safe inside a content
// string.
func validRuleName(s string) bool {
	if s == "" || len(s) > 253 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '-' || c == '.' || c == '_') {
			return false
		}
	}
	return true
}
