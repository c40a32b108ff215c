package hosts

import (
	"bytes"
	"net/netip"
	"testing"
	"time"

	"github.com/nethunt/nethunt/internal/event"
	"github.com/nethunt/nethunt/internal/query/match"
)

// fuzzSeedTable is a small table with a little of everything, whose
// snapshot and query columns seed the fuzzers.
func fuzzSeedTable() *Table {
	t := New(Options{HomeNets: []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8")}})
	ts := time.Date(2026, 11, 20, 8, 0, 0, 0, time.UTC)
	ok := int64(200)
	t.ObserveBatch([]*event.Event{
		{Time: ts, EventType: "http", SrcIP: netip.MustParseAddr("10.0.0.1"), DestIP: netip.MustParseAddr("10.0.0.2"), SrcPort: 50000, DestPort: 3128, Proto: "TCP",
			HTTP: &event.HTTP{Hostname: "example.com", URL: "example.com:443", Method: "CONNECT", Status: &ok, UserAgent: "curl/8"}},
		{Time: ts, EventType: "tls", SrcIP: netip.MustParseAddr("10.0.0.1"), DestIP: netip.MustParseAddr("2001:db8::1"), SrcPort: 50001, DestPort: 443, Proto: "TCP",
			TLS: &event.TLS{SNI: "example.org", Subject: "CN=example.org", IssuerDN: "CN=R3", JA4: "t13d1516h2_8daaf6152771_02713d6af862"}},
		{Time: ts, EventType: "dns", SrcIP: netip.MustParseAddr("10.0.0.53"), DestIP: netip.MustParseAddr("10.0.0.1"), SrcPort: 53, DestPort: 50002, Proto: "UDP",
			DNS: &event.DNS{Type: "response", Version: 3, Names: []string{"example.org"}, Answers: []event.DNSAnswer{{RRName: "example.org", RRType: "AAAA", RData: "2001:db8::1"}}}},
	})
	return t
}

// FuzzSnapshot: any bytes given as a snapshot or as query columns are an
// error or a usable table, never a panic. The checksums stop most inputs
// early (damage behind them is tested in persist_test.go and rows_test.go).
// Run with -fuzzminimizetime 0s: minimizing each new input otherwise
// takes most of the time.
func FuzzSnapshot(f *testing.F) {
	t := fuzzSeedTable()
	var snap, rows bytes.Buffer
	if err := t.Save(&snap, 3); err != nil {
		f.Fatal(err)
	}
	if err := t.SaveRows(&rows, 3); err != nil {
		f.Fatal(err)
	}
	f.Add(snap.Bytes())
	f.Add(rows.Bytes())
	f.Add([]byte(snapMagic))
	e, _ := Parse(`host.roles:* OR host.ip:10.0.0.0/8 OR host.services.port:>0 OR host.first_seen:* OR host.tls.ja4:t13d*`)
	m, _ := match.Compile(e)
	f.Fuzz(func(t *testing.T, b []byte) {
		tb := New(Options{})
		if _, err := tb.Load(bytes.NewReader(b)); err == nil {
			tb.List()
			for _, s := range tb.List() {
				tb.Get(netip.MustParseAddr(s.IP))
			}
		}
		for _, ip := range []string{"10.0.0.1", "10.0.0.2", "2001:db8::1", "192.0.2.1"} {
			one := New(Options{})
			if _, found, err := one.LoadHost(bytes.NewReader(b), int64(len(b)), netip.MustParseAddr(ip)); err == nil && found {
				one.Get(netip.MustParseAddr(ip))
			}
		}
		if rs, err := ReadRows(bytes.NewReader(b), int64(len(b))); err == nil {
			rs.Scan(m, func(netip.Addr) bool { return true })
		}
	})
}
