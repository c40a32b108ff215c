package detect

import (
	"fmt"
	"io"
	"net/netip"
	"slices"
	"sort"
	"strings"
	"text/tabwriter"

	"github.com/nethunt/nethunt/internal/event"
	"github.com/nethunt/nethunt/internal/sim"
)

// CaseKinds maps each planted simulator case kind to the finding kinds
// that count as detecting it (recall is computed on these only).
var CaseKinds = map[string][]string{
	"internal_rogue_http_proxy":       {KindInternalProxy},
	"external_http_proxy_letsencrypt": {KindExternalProxy},
	"socks_proxy":                     {KindSOCKS},
	"tor":                             {KindTor},
	"multi_hop_chain":                 {KindChain},
	"domain_fronting":                 {KindFronting},
	"tunnel_service":                  {KindTunnel},
	"cdn_abuse":                       {KindCDN},
}

// Latest keeps the most recent version of each finding id (findings are
// re-emitted with the same id as evidence accumulates), in a stable order.
func Latest(fs []event.Finding) []event.Finding {
	idx := map[string]int{}
	var out []event.Finding
	for _, f := range fs {
		if i, ok := idx[f.ID]; ok {
			if cur := out[i]; f.LastSeen > cur.LastSeen || f.LastSeen == cur.LastSeen && f.EventCount >= cur.EventCount {
				out[i] = f
			}
			continue
		}
		idx[f.ID] = len(out)
		out = append(out, f)
	}
	sort.SliceStable(out, func(i, j int) bool {
		if out[i].Kind != out[j].Kind {
			return out[i].Kind < out[j].Kind
		}
		return out[i].ID < out[j].ID
	})
	return out
}

// Report is the scoring of findings against a simulator ground truth.
type Report struct {
	Cases    []CaseResult
	Kinds    []KindResult // per finding kind
	Recall   []KindRecall // per planted case kind
	FP       []event.Finding
	Benign   []BenignResult
	Findings int
	TP       int
}

// CaseResult says which findings matched one case.
type CaseResult struct {
	Case      sim.TruthCase
	Detected  bool     // by a finding of an accepted kind
	Findings  []string // ids of matching findings (any kind)
	Escalated bool     // a matching finding escalates
}

// KindResult is precision for one finding kind.
type KindResult struct {
	Kind         string
	Findings, TP int
	Escalated    int
}

// KindRecall is recall for one planted case kind.
type KindRecall struct {
	Kind            string
	Cases, Detected int
}

// BenignResult is one benign look-alike with the findings that matched
// it and were not explained by a planted case.
type BenignResult struct {
	Case      sim.TruthCase
	Findings  []string
	Escalated []string
}

func hostPart(s string) string {
	if ap, err := netip.ParseAddrPort(s); err == nil {
		return ap.Addr().String()
	}
	return strings.ToLower(strings.TrimSuffix(s, "."))
}

// caseIDs are the addresses and names that identify a case: its proxy,
// pivot or server, its relays and domains, and its external addresses
// unless they are merely what an internal proxy or server contacted.
func caseIDs(c sim.TruthCase) map[string]bool {
	ids := map[string]bool{}
	add := func(s string) {
		if s != "" {
			ids[hostPart(s)] = true
		}
	}
	add(c.Hosts.Proxy)
	add(c.Hosts.Pivot)
	add(c.Hosts.Server)
	for _, r := range c.Hosts.Relays {
		add(r)
	}
	for _, d := range c.Domains {
		add(d)
	}
	internalInfra := false
	for _, h := range []string{c.Hosts.Proxy, c.Hosts.Server} {
		if a, err := netip.ParseAddr(hostPart(h)); err == nil && a.IsPrivate() {
			internalInfra = true
		}
	}
	if !internalInfra {
		for _, e := range c.Hosts.External {
			add(e)
		}
	}
	return ids
}

// findingIDs are the finding's proxy, destinations, domains and hosts
// other than its clients.
func findingIDs(f event.Finding) []string {
	var out []string
	if f.Proxy != "" {
		out = append(out, hostPart(f.Proxy))
	}
	for _, d := range f.Destinations {
		out = append(out, hostPart(d))
	}
	for _, d := range f.Domains {
		out = append(out, hostPart(d))
	}
	for _, h := range f.Hosts {
		if !slices.Contains(f.Clients, h) {
			out = append(out, hostPart(h))
		}
	}
	return out
}

func matches(ids map[string]bool, f event.Finding) bool {
	for _, x := range findingIDs(f) {
		if ids[x] {
			return true
		}
	}
	return false
}

// Score matches findings (latest version of each id) to the truth cases.
// A finding matches a case when its proxy, destinations, domains or
// non-client hosts overlap the case's identifying addresses and names. A
// planted case is detected when a finding of an accepted kind (CaseKinds)
// matches it. A finding is a true positive when it matches a planted
// case, whatever its kind; otherwise it is a false positive. A benign
// look-alike is escalated when an escalated finding matches it and no
// planted case.
func Score(truth sim.Truth, findings []event.Finding) Report {
	fs := Latest(findings)
	rep := Report{Findings: len(fs)}
	ids := make([]map[string]bool, len(truth.Cases))
	for i, c := range truth.Cases {
		ids[i] = caseIDs(c)
	}
	planted := make([]bool, len(fs))
	kinds := map[string]*KindResult{}
	for fi, f := range fs {
		kr := kinds[f.Kind]
		if kr == nil {
			kr = &KindResult{Kind: f.Kind}
			kinds[f.Kind] = kr
		}
		kr.Findings++
		if f.Decision == Escalate {
			kr.Escalated++
		}
		for i, c := range truth.Cases {
			if !c.Benign && matches(ids[i], f) {
				planted[fi] = true
			}
		}
		if planted[fi] {
			kr.TP++
			rep.TP++
		} else {
			rep.FP = append(rep.FP, f)
		}
	}
	recall := map[string]*KindRecall{}
	for i, c := range truth.Cases {
		cr := CaseResult{Case: c}
		br := BenignResult{Case: c}
		for fi, f := range fs {
			if !matches(ids[i], f) {
				continue
			}
			cr.Findings = append(cr.Findings, f.ID)
			if f.Decision == Escalate {
				cr.Escalated = true
			}
			if !c.Benign && slices.Contains(CaseKinds[c.Kind], f.Kind) {
				cr.Detected = true
			}
			if c.Benign && !planted[fi] {
				br.Findings = append(br.Findings, f.ID)
				if f.Decision == Escalate {
					br.Escalated = append(br.Escalated, f.ID)
				}
			}
		}
		rep.Cases = append(rep.Cases, cr)
		if c.Benign {
			rep.Benign = append(rep.Benign, br)
			continue
		}
		kr := recall[c.Kind]
		if kr == nil {
			kr = &KindRecall{Kind: c.Kind}
			recall[c.Kind] = kr
		}
		kr.Cases++
		if cr.Detected {
			kr.Detected++
		}
	}
	for _, k := range kinds {
		rep.Kinds = append(rep.Kinds, *k)
	}
	sort.Slice(rep.Kinds, func(i, j int) bool { return rep.Kinds[i].Kind < rep.Kinds[j].Kind })
	for _, k := range recall {
		rep.Recall = append(rep.Recall, *k)
	}
	sort.Slice(rep.Recall, func(i, j int) bool { return rep.Recall[i].Kind < rep.Recall[j].Kind })
	return rep
}

// BenignEscalated lists the benign look-alikes some escalated finding
// matched (and no planted case explained).
func (r Report) BenignEscalated() []string {
	var out []string
	for _, b := range r.Benign {
		if len(b.Escalated) > 0 {
			out = append(out, b.Case.ID+" "+b.Case.Kind)
		}
	}
	return out
}

// RecallAll is the recall over every planted case.
func (r Report) RecallAll() float64 {
	n, d := 0, 0
	for _, k := range r.Recall {
		n += k.Cases
		d += k.Detected
	}
	if n == 0 {
		return 0
	}
	return float64(d) / float64(n)
}

// Write prints the report for people.
func (r Report) Write(w io.Writer) error {
	tw := tabwriter.NewWriter(w, 2, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "PLANTED KIND\tCASES\tDETECTED\tRECALL")
	for _, k := range r.Recall {
		fmt.Fprintf(tw, "%s\t%d\t%d\t%.2f\n", k.Kind, k.Cases, k.Detected, ratio(k.Detected, k.Cases))
	}
	fmt.Fprintln(tw)
	fmt.Fprintln(tw, "FINDING KIND\tFINDINGS\tTRUE POS\tPRECISION\tESCALATED")
	for _, k := range r.Kinds {
		fmt.Fprintf(tw, "%s\t%d\t%d\t%.2f\t%d\n", k.Kind, k.Findings, k.TP, ratio(k.TP, k.Findings), k.Escalated)
	}
	fmt.Fprintf(tw, "all\t%d\t%d\t%.2f\t\n", r.Findings, r.TP, ratio(r.TP, r.Findings))
	tw.Flush()
	fmt.Fprintf(w, "\nrecall over all planted cases: %.2f\n", r.RecallAll())
	fmt.Fprintf(w, "false positives: %d\n", len(r.FP))
	for _, f := range r.FP {
		fmt.Fprintf(w, "  %s %-16s %-7s %s\n", f.ID, f.Kind, f.Decision, f.Title)
	}
	esc := r.BenignEscalated()
	if len(esc) == 0 {
		fmt.Fprintln(w, "benign look-alikes escalated: none")
	} else {
		fmt.Fprintf(w, "benign look-alikes escalated: %d (%s)\n", len(esc), strings.Join(esc, "; "))
	}
	for _, c := range r.Cases {
		if !c.Case.Benign && !c.Detected {
			fmt.Fprintf(w, "MISSED %s %s (hosts %+v)\n", c.Case.ID, c.Case.Kind, c.Case.Hosts)
		}
	}
	return nil
}

func ratio(a, b int) float64 {
	if b == 0 {
		return 1
	}
	return float64(a) / float64(b)
}
