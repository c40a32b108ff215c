package detect

import (
	"slices"
	"testing"

	"github.com/nethunt/nethunt/internal/event"
)

func TestInternalRogueProxy(t *testing.T) {
	st := newStage(t, Options{ApprovedProxies: approved("10.20.0.10:3128")})
	var evs []*event.Event
	for i, cli := range []string{"10.10.1.1", "10.10.1.2", "10.10.1.3"} {
		evs = append(evs, connect(t, float64(i*60), 100+i, cli, "10.10.9.9", 8118, "www.example.com", nil)...)
	}
	fs := run(st, evs...)
	p := byKind(fs, KindInternalProxy)
	if len(p) != 1 {
		t.Fatalf("want one internal_proxy finding, got %s", describe(fs))
	}
	f := p[0]
	if f.Proxy != "10.10.9.9:8118" || f.Technique != "T1090.001" || f.Decision != Escalate || len(f.Clients) != 3 {
		t.Errorf("unexpected finding: %+v", f)
	}
	if !slices.ContainsFunc(f.Reasons, func(r string) bool { return len(r) > 0 && r[0] == '+' }) || f.Score <= 0 {
		t.Errorf("reasons must carry their weight: %v", f.Reasons)
	}
	if len(f.Evidence) == 0 || f.Evidence[0] != "flow_id:100" {
		t.Errorf("evidence: %v", f.Evidence)
	}
}

func TestSingleClientProxyIsReview(t *testing.T) {
	st := newStage(t, Options{})
	fs := run(st, connect(t, 0, 1, "10.10.1.1", "10.10.9.9", 3128, "www.example.com", nil)...)
	p := byKind(fs, KindInternalProxy)
	if len(p) != 1 || p[0].Decision != Review {
		t.Fatalf("one client: want review, got %s", describe(fs))
	}
}

func TestApprovedProxyIgnored(t *testing.T) {
	st := newStage(t, Options{ApprovedProxies: approved("10.20.0.10:3128")})
	var evs []*event.Event
	for i, cli := range []string{"10.10.1.1", "10.10.1.2", "10.10.1.3", "10.10.1.4"} {
		evs = append(evs, connect(t, float64(i*60), 100+i, cli, "10.20.0.10", 3128, "www.example.com", nil)...)
		evs = append(evs, httpRec(t, float64(i*60+10), 200+i, cli, "10.20.0.10", 3128, "GET", "http://news.example.org/", "news.example.org", 200,
			[]string{"Host", "news.example.org", "Proxy-Connection", "keep-alive"}, []string{"Via", "1.1 proxy01 (squid/6.10)"}))
		// the approved proxy's own upstream request, with X-Forwarded-For
		evs = append(evs, httpRec(t, float64(i*60)+10.01, 300+i, "10.20.0.10", "93.184.216.34", 80, "GET", "/", "news.example.org", 200,
			[]string{"Host", "news.example.org", "X-Forwarded-For", cli, "Via", "1.1 proxy01 (squid/6.10)"}, nil))
	}
	if fs := run(st, evs...); len(fs) != 0 {
		t.Fatalf("approved proxy must not raise findings: %s", describe(fs))
	}
}

func TestExternalProxy(t *testing.T) {
	st := newStage(t, Options{})
	evs := connect(t, 0, 1, "10.10.1.1", "167.99.63.97", 8080, "www.example.com", nil)
	evs = append(evs, httpRec(t, 30, 2, "10.10.1.1", "167.99.63.97", 8080, "GET", "http://news.example.org/x", "news.example.org", 200,
		[]string{"Host", "news.example.org"}, []string{"Via", "1.1 link144.hopto.org (squid/6.6)"}))
	fs := run(st, evs...)
	p := byKind(fs, KindExternalProxy)
	if len(p) != 1 || p[0].Technique != "T1090.002" || p[0].Decision != Review || !slices.Contains(p[0].Destinations, "167.99.63.97") {
		t.Fatalf("want one external_proxy review finding, got %s", describe(fs))
	}
}

// A reverse proxy serves its own sites with relative URIs and forwards to
// backends with X-Forwarded-For and Via: never a forward-proxy finding,
// never escalated.
func TestReverseProxyNotForward(t *testing.T) {
	st := newStage(t, Options{})
	var evs []*event.Event
	for i := 0; i < 50; i++ {
		client := "79.244.75." + string(rune('1'+i%9))
		evs = append(evs, httpRec(t, float64(i), 1000+i, client, "172.16.0.10", 443, "GET", "/index.html", "www.corp.example", 200, []string{"Host", "www.corp.example"}, nil))
		evs = append(evs, httpRec(t, float64(i)+0.01, 2000+i, "172.16.0.10", "10.20.4.80", 8080, "GET", "/index.html", "www.corp.example", 200,
			[]string{"Host", "www.corp.example", "X-Forwarded-For", client, "Via", "1.1 rp01"}, nil))
	}
	for _, f := range run(st, evs...) {
		if f.Decision == Escalate || f.Kind == KindInternalProxy || f.Kind == KindChain {
			t.Errorf("reverse proxy raised %s", describe([]event.Finding{f}))
		}
	}
}

// An internal server answering relative-URI requests for many unrelated
// sites on a proxy port is at most a review finding.
func TestManyHostNamesReviewOnly(t *testing.T) {
	st := newStage(t, Options{})
	var evs []*event.Event
	for i, site := range []string{"a.com", "b.net", "c.org", "d.io", "e.info", "f.com"} {
		evs = append(evs, httpRec(t, float64(i), 10+i, "10.10.1.1", "10.10.9.9", 8080, "GET", "/", "www."+site, 200, nil, nil))
	}
	fs := run(st, evs...)
	p := byKind(fs, KindPossibleRelay)
	if len(p) != 1 || p[0].Decision != Review {
		t.Fatalf("want one review possible_proxy finding, got %s", describe(fs))
	}
	if len(byKind(fs, KindInternalProxy)) != 0 {
		t.Fatalf("relative URIs are no forward-proxy proof: %s", describe(fs))
	}
}

// A developer web server (relative URIs, Host = its own address) and a web
// server answering Internet open-proxy probes with its own page are not
// proxies.
func TestWebServersAreNotProxies(t *testing.T) {
	st := newStage(t, Options{})
	var evs []*event.Event
	for i := 0; i < 10; i++ {
		evs = append(evs, httpRec(t, float64(i), 10+i, "10.10.120.28", "10.10.120.27", 8080, "GET", "/api/items", "10.10.120.27", 200, []string{"Host", "10.10.120.27:8080"}, nil))
		evs = append(evs, httpRec(t, float64(i), 100+i, "45.148.10.7", "172.16.0.20", 80, "GET", "http://www.google.com/", "www.google.com", 200, nil, nil))
		evs = append(evs, httpRec(t, float64(i), 200+i, "45.148.10.7", "172.16.0.20", 80, "CONNECT", "www.google.com:443", "www.google.com", 405, nil, nil))
	}
	if fs := run(st, evs...); len(fs) != 0 {
		t.Fatalf("web servers raised findings: %s", describe(fs))
	}
}

func TestProxyAllowList(t *testing.T) {
	st := newStage(t, Options{Allow: []string{"10.10.9.0/24"}})
	if fs := run(st, connect(t, 0, 1, "10.10.1.1", "10.10.9.9", 3128, "www.example.com", nil)...); len(fs) != 0 {
		t.Fatalf("allow-listed proxy raised: %s", describe(fs))
	}
}

func TestProxyDenyListEscalates(t *testing.T) {
	st := newStage(t, Options{Deny: []string{"167.99.63.97"}})
	fs := run(st, connect(t, 0, 1, "10.10.1.1", "167.99.63.97", 8080, "www.example.com", nil)...)
	p := byKind(fs, KindExternalProxy)
	if len(p) != 1 || p[0].Decision != Escalate {
		t.Fatalf("deny-listed proxy: want escalate, got %s", describe(fs))
	}
}
