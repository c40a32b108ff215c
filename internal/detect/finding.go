package detect

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/zeebo/xxh3"

	"github.com/nethunt/nethunt/internal/event"
)

// EventType is the event_type of finding records.
const EventType = "finding"

// Decisions.
const (
	Escalate = "escalate"
	Review   = "review"
)

// Escalation triggers (the playbook's three reasons to escalate).
const (
	trigIntel       = "threat intelligence"
	trigSeveral     = "same behaviour across several hosts"
	trigObfuscation = "obfuscation"
)

// Caps of what one finding keeps.
const (
	capEvidenceHead = 10 // first evidence references kept
	capEvidenceTail = 10 // most recent evidence references kept
	capClients      = 32
	capDests        = 16
	capDomains      = 16
)

// subject is the state behind one finding: the (detector, subject) pair it
// is about, its evidence references, the hosts involved and when it was
// last emitted. The detector-specific counters live beside it.
type subject struct {
	ID        string
	Detector  string
	Kind      string
	Technique string
	Key       string // human form of the subject, e.g. "10.0.0.5:3128"

	First, Last int64 // unix ns, event time
	Count       int64 // evidence events

	EvHead []evRef
	EvTail [capEvidenceTail]evRef
	EvN    int // references added to the tail ring (total)

	Clients addrSet // internal clients
	Dests   strSet  // external addresses and names
	Domains strSet
	Proxy   string

	// the main pair of the last emitted verdict (for Flush)
	Src, Dst netip.Addr
	DstPort  int64

	Emitted      bool
	LastEmit     int64
	LastDecision string
	CountAtEmit  int64
}

func newSubject(detector, kind, technique, key string) *subject {
	return &subject{ID: findingID(detector, key), Detector: detector, Kind: kind, Technique: technique, Key: key}
}

// findingID is stable: the same detector and subject always give the same
// id, across restarts and replays.
func findingID(detector, key string) string {
	h := xxh3.HashString128(detector + "\x00" + key).Bytes()
	return "nh-" + hex.EncodeToString(h[:8])
}

// touch records one evidence event.
func (sub *subject) touch(ev *event.Event) {
	t := ev.Time.UnixNano()
	if sub.Count == 0 || t < sub.First {
		sub.First = t
	}
	if t > sub.Last {
		sub.Last = t
	}
	sub.Count++
	sub.touchRef(refOf(ev))
}

// touchRef adds an evidence reference (deduplicated, bounded: the first
// ones and the most recent ones are kept).
func (sub *subject) touchRef(r evRef) {
	if r == (evRef{}) {
		return
	}
	if slices.Contains(sub.EvHead, r) {
		return
	}
	if sub.EvN > 0 && sub.EvTail[(sub.EvN-1)%capEvidenceTail] == r {
		return
	}
	if len(sub.EvHead) < capEvidenceHead {
		sub.EvHead = append(sub.EvHead, r)
		return
	}
	for i := 0; i < min(sub.EvN, capEvidenceTail); i++ {
		if sub.EvTail[i] == r {
			return
		}
	}
	sub.EvTail[sub.EvN%capEvidenceTail] = r
	sub.EvN++
}

func (sub *subject) evidence() []string {
	var out []string
	for _, r := range sub.EvHead {
		out = append(out, r.String())
	}
	n := min(sub.EvN, capEvidenceTail)
	for i := sub.EvN - n; i < sub.EvN; i++ {
		out = append(out, sub.EvTail[i%capEvidenceTail].String())
	}
	return out
}

// evRef is an evidence reference kept without formatting it: a flow id,
// else a community id or "<event_type>@<timestamp>".
type evRef struct {
	F uint64
	S string
}

func refOf(ev *event.Event) evRef {
	switch {
	case ev.FlowID != 0:
		return evRef{F: ev.FlowID}
	case ev.CommunityID != "":
		return evRef{S: "community_id:" + ev.CommunityID}
	case ev.EventType != "" && ev.Timestamp != "":
		return evRef{S: ev.EventType + "@" + ev.Timestamp}
	}
	return evRef{}
}

func (r evRef) String() string {
	if r.F != 0 {
		return "flow_id:" + strconv.FormatUint(r.F, 10)
	}
	return r.S
}

// Evidence references name evidence events the way `nethunt explain`
// fetches them back: "flow_id:<n>" (every record of the flow), else
// "community_id:<id>", else "<event_type>@<timestamp>".

// reason is one contribution to a finding's score; trigger names the
// playbook escalation reason it satisfies ("" = none).
type reason struct {
	Weight  int
	Text    string
	Trigger string
}

// verdict is a detector's assessment of a subject at one moment.
type verdict struct {
	Title, Explanation string
	Reasons            []reason
	Src, Dst           netip.Addr // the main pair of the finding event
	SrcPort, DstPort   int64
	HopCount           int64
	ExtraHosts         []netip.Addr // hosts involved beyond clients and proxy
}

func (v *verdict) add(w int, text string) {
	v.Reasons = append(v.Reasons, reason{Weight: w, Text: text})
}

func (v *verdict) trigger(w int, text, trig string) {
	v.Reasons = append(v.Reasons, reason{Weight: w, Text: text, Trigger: trig})
}

func (v *verdict) decision() string {
	for _, r := range v.Reasons {
		if r.Trigger != "" {
			return Escalate
		}
	}
	return Review
}

func (v *verdict) score() int64 {
	s := 0
	for _, r := range v.Reasons {
		s += r.Weight
	}
	return int64(min(max(s, 0), 100))
}

func severity(score int64) string {
	switch {
	case score >= 70:
		return "high"
	case score >= 40:
		return "medium"
	}
	return "low"
}

func (r reason) String() string {
	s := strconv.Itoa(r.Weight)
	if r.Weight >= 0 {
		s = "+" + s
	}
	s += " " + r.Text
	if r.Trigger != "" {
		s += " [escalate: " + r.Trigger + "]"
	}
	return s
}

// due reports whether a finding should be (re-)emitted now: the first
// time, when the decision changes, or when new evidence arrived and the
// re-emit interval has passed since the last emission.
func (s *Stage) due(sub *subject, decision string, now int64) bool {
	if !sub.Emitted {
		return true
	}
	if decision != sub.LastDecision {
		return true
	}
	return sub.Count > sub.CountAtEmit && now-sub.LastEmit >= int64(s.opt.ReEmitEvery)
}

// consider re-assesses sub after new evidence from ev. The verdict is only
// built when it can matter: before the first emission, when the detector
// reports a decision-relevant change (a new client, a new kind of
// evidence), or when the re-emit interval has passed with new evidence.
// assess returns nil while the subject does not qualify for a finding.
func (s *Stage) consider(sub *subject, ev *event.Event, changed bool, assess func() *verdict) {
	now := ev.Time.UnixNano()
	if sub.Emitted && !changed && (sub.Count <= sub.CountAtEmit || now-sub.LastEmit < int64(s.opt.ReEmitEvery)) {
		return
	}
	v := assess()
	if v == nil {
		return
	}
	s.addCommon(sub, v)
	dec := v.decision()
	if !s.due(sub, dec, now) {
		return
	}
	sub.Emitted, sub.LastEmit, sub.LastDecision, sub.CountAtEmit = true, now, dec, sub.Count
	sub.Src, sub.Dst, sub.DstPort = v.Src, v.Dst, v.DstPort
	s.out = append(s.out, s.findingEvent(sub, ev, v, dec))
	s.stats.Emitted++
}

// addCommon appends the reasons every detector shares: threat-intel and
// deny-list matches on the subject's addresses and names.
func (s *Stage) addCommon(sub *subject, v *verdict) {
	seen := map[string]bool{}
	check := func(val string) {
		if val == "" || seen[val] {
			return
		}
		seen[val] = true
		if h := s.intelFor(val); h != nil && sub.Detector != DetIntel {
			txt := "threat-intel match on " + val + " (" + h.Source
			if h.Description != "" {
				txt += ": " + h.Description
			}
			txt += ")"
			if h.Confidence >= s.opt.IntelConfirmed {
				v.trigger(50, txt, trigIntel)
			} else {
				v.add(25, txt+", confidence "+strconv.Itoa(h.Confidence)+" below "+strconv.Itoa(s.opt.IntelConfirmed))
			}
		}
		if s.denied(val) {
			v.trigger(50, val+" is on the local deny list", trigIntel)
		}
	}
	if sub.Proxy != "" {
		check(hostOf(sub.Proxy))
	}
	for _, d := range sub.Dests.L {
		check(d)
	}
	for _, d := range sub.Domains.L {
		check(d)
	}
}

func hostOf(ipPort string) string {
	if ap, err := netip.ParseAddrPort(ipPort); err == nil {
		return ap.Addr().String()
	}
	return ipPort
}

const timeLayout = "2006-01-02T15:04:05.000000-0700"

func rfc3339(ns int64) string {
	return time.Unix(0, ns).UTC().Format("2006-01-02T15:04:05.000000Z07:00")
}

func (s *Stage) findingEvent(sub *subject, ev *event.Event, v *verdict, dec string) *event.Event {
	score := v.score()
	f := &event.Finding{
		ID:          sub.ID,
		Detector:    sub.Detector,
		Kind:        sub.Kind,
		Technique:   sub.Technique,
		Title:       valid(v.Title),
		Explanation: valid(v.Explanation),
		Severity:    severity(score),
		Score:       score,
		Decision:    dec,
		Clients:     sub.Clients.strings(),
		Proxy:       valid(sub.Proxy),
		Destinations: validAll(
			sub.Dests.sorted()),
		Domains:    validAll(sub.Domains.sorted()),
		HopCount:   v.HopCount,
		Evidence:   validAll(sub.evidence()),
		FirstSeen:  rfc3339(sub.First),
		LastSeen:   rfc3339(sub.Last),
		EventCount: sub.Count,
	}
	for _, r := range v.Reasons {
		f.Reasons = append(f.Reasons, valid(r.String()))
	}
	// hosts: clients, proxy, main pair, extra, external addresses
	var hs addrSet
	for _, a := range sub.Clients.L {
		hs.add(a, 1<<10)
	}
	if sub.Proxy != "" {
		if a, err := netip.ParseAddr(hostOf(sub.Proxy)); err == nil {
			hs.add(a, 1<<10)
		}
	}
	hs.add(v.Src, 1<<10)
	hs.add(v.Dst, 1<<10)
	for _, a := range v.ExtraHosts {
		hs.add(a, 1<<10)
	}
	for _, d := range sub.Dests.L {
		if a, err := netip.ParseAddr(d); err == nil {
			hs.add(a, 1<<10)
		}
	}
	f.Hosts = hs.strings()

	t := ev.Time.UTC().Truncate(time.Microsecond)
	out := &event.Event{
		Time:        t,
		Timestamp:   t.Format(timeLayout),
		EventType:   EventType,
		SrcIP:       v.Src,
		DestIP:      v.Dst,
		FlowID:      ev.FlowID,
		CommunityID: valid(ev.CommunityID),
		Host:        valid(ev.Host),
		Proto:       valid(ev.Proto),
		Finding:     f,
	}
	if v.Src.IsValid() {
		out.SrcIPStr = v.Src.String()
		out.SrcPort = v.SrcPort
	}
	if v.Dst.IsValid() {
		out.DestIPStr = v.Dst.String()
		out.DestPort = v.DstPort
	}
	out.Raw = marshalFinding(out)
	return out
}

// rawFinding is the EVE-style line of a finding event (Suricata's key
// order for the common keys, then the finding object).
type rawFinding struct {
	Timestamp   string         `json:"timestamp"`
	FlowID      uint64         `json:"flow_id,omitempty"`
	EventType   string         `json:"event_type"`
	SrcIP       string         `json:"src_ip,omitempty"`
	SrcPort     int64          `json:"src_port,omitempty"`
	DestIP      string         `json:"dest_ip,omitempty"`
	DestPort    int64          `json:"dest_port,omitempty"`
	Proto       string         `json:"proto,omitempty"`
	CommunityID string         `json:"community_id,omitempty"`
	Host        string         `json:"host,omitempty"`
	Finding     *event.Finding `json:"finding"`
}

func marshalFinding(ev *event.Event) []byte {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(rawFinding{
		Timestamp: ev.Timestamp, FlowID: ev.FlowID, EventType: ev.EventType,
		SrcIP: ev.SrcIPStr, SrcPort: ev.SrcPort, DestIP: ev.DestIPStr, DestPort: ev.DestPort,
		Proto: ev.Proto, CommunityID: ev.CommunityID, Host: ev.Host, Finding: ev.Finding,
	})
	return bytes.TrimRight(buf.Bytes(), "\n")
}

// valid makes s valid UTF-8 the way the JSON line will be, so the event and
// its decoded line agree.
func valid(s string) string {
	if utf8.ValidString(s) {
		return s
	}
	return strings.ToValidUTF8(s, "\uFFFD")
}

func validAll(l []string) []string {
	for i, s := range l {
		l[i] = valid(s)
	}
	return l
}
