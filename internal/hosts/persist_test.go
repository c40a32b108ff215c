package hosts

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"hash/crc32"
	"io"
	"net/netip"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/nethunt/nethunt/internal/event"
)

func cardsJSON(t *testing.T, tb *Table) map[string]string {
	t.Helper()
	out := map[string]string{}
	for _, s := range tb.List() {
		c, ok := tb.Get(netip.MustParseAddr(s.IP))
		if !ok {
			t.Fatalf("listed host %s has no card", s.IP)
		}
		b, err := json.Marshal(c)
		if err != nil {
			t.Fatal(err)
		}
		out[s.IP] = string(b)
	}
	return out
}

func TestSaveLoadRoundTrip(t *testing.T) {
	r := loadSim(t)
	var buf bytes.Buffer
	if err := r.table.Save(&buf, 42); err != nil {
		t.Fatal(err)
	}
	t.Logf("snapshot of %d hosts: %d bytes", r.table.Len(), buf.Len())
	snap := buf.Bytes()
	back := New(r.opt)
	seq, err := back.Load(bytes.NewReader(snap))
	if err != nil || seq != 42 {
		t.Fatalf("Load: seq %d, %v", seq, err)
	}
	want, got := cardsJSON(t, r.table), cardsJSON(t, back)
	if len(want) != len(got) {
		t.Fatalf("%d hosts after load, want %d", len(got), len(want))
	}
	diffs := 0
	for ip, w := range want {
		if got[ip] != w {
			diffs++
			if diffs <= 3 {
				t.Errorf("card of %s differs after load:\n got %.600s\nwant %.600s", ip, got[ip], w)
			}
		}
	}
	if st, bst := r.table.Stats(), back.Stats(); st != bst {
		t.Errorf("stats %+v after load, want %+v", bst, st)
	}

	// Both tables go on identically (hashes, runs and indexes rebuilt).
	more := r.evs[len(r.evs)-20000:]
	a, b := New(r.opt), New(r.opt)
	if _, err := a.Load(bytes.NewReader(snap)); err != nil {
		t.Fatal(err)
	}
	if _, err := b.Load(bytes.NewReader(snap)); err != nil {
		t.Fatal(err)
	}
	a.ObserveBatch(more)
	var again bytes.Buffer
	if err := b.Save(&again, 43); err != nil {
		t.Fatal(err)
	}
	c := New(r.opt)
	if _, err := c.Load(&again); err != nil {
		t.Fatal(err)
	}
	c.ObserveBatch(more)
	ja, jc := cardsJSON(t, a), cardsJSON(t, c)
	for ip, w := range ja {
		if jc[ip] != w {
			t.Errorf("after more events, %s differs between a loaded table and a reloaded one", ip)
			break
		}
	}

	// Damaged snapshots are errors, never panics, and leave the table as
	// it was.
	before := back.Len()
	for _, n := range []int{0, 5, 20, len(snap) / 3, len(snap) / 2, len(snap) - 5} {
		if _, err := back.Load(bytes.NewReader(snap[:n])); err == nil {
			t.Errorf("truncated snapshot (%d of %d bytes) loaded", n, len(snap))
		}
	}
	// Flipped bytes anywhere in a smaller snapshot are caught by the
	// checksums (or the layout checks): an error, never a wrong profile.
	small := New(r.opt)
	small.ObserveBatch(r.evs[:4000])
	var sb bytes.Buffer
	if err := small.Save(&sb, 1); err != nil {
		t.Fatal(err)
	}
	content := sb.Bytes()
	for i := 0; i < 300; i++ {
		d := bytes.Clone(content)
		pos := (i*7919 + 13) % len(d)
		d[pos] ^= byte(1 + i%255)
		if _, err := New(r.opt).Load(bytes.NewReader(d)); err == nil || !errors.Is(err, ErrSnapshot) {
			t.Errorf("snapshot with byte %d of %d flipped: %v", pos, len(d), err)
		}
	}
	// Behind the checksums, the record decoder itself survives damage
	// (a snapshot written by a buggy or hostile process): no panics.
	hd, idx, err := readLayout(bytes.NewReader(content), int64(len(content)))
	if err != nil {
		t.Fatal(err)
	}
	br, bb := bufio.NewReaderSize(nil, 4096), bytes.NewReader(nil)
	for i := 0; i < min(hd.count, 80); i++ {
		e, _ := getEntry(idx[i*indexEntry:])
		rec := content[e.off : e.off+uint64(e.n)]
		for j := 0; j < 40; j++ {
			d := bytes.Clone(rec)
			d[(j*131+i)%len(d)] ^= byte(1 + j)
			if j%5 == 4 {
				d = d[:len(d)*j/40]
			}
			e2 := e
			e2.crc = crc32.Checksum(d, castagnoli)
			func() {
				defer func() {
					if p := recover(); p != nil {
						t.Fatalf("decoding a damaged record panicked: %v", p)
					}
				}()
				if h, err := decodeHost(d, e2, br, bb); err == nil {
					tb := New(r.opt)
					tb.hosts[h.ip] = h
					tb.all = []*Host{h}
					tb.adopt(h)
					tb.List()
					tb.Get(h.ip)
				} else if !errors.Is(err, ErrSnapshot) {
					t.Errorf("damaged record: error %v is not ErrSnapshot", err)
				}
			}()
		}
	}
	if back.Len() != before {
		t.Errorf("failed loads changed the table")
	}
	// Another version is refused with a clear error.
	d := bytes.Clone(content)
	d[len(snapMagic)] = 99
	if _, err := New(r.opt).Load(bytes.NewReader(d)); err == nil || !errors.Is(err, ErrSnapshot) || !strings.Contains(err.Error(), "version") {
		t.Errorf("other version: %v", err)
	}
}

// TestLoadHost: one host read from a snapshot through its index has the
// same card as in the fully loaded table, for every host; an unknown
// address is reported as absent.
func TestLoadHost(t *testing.T) {
	r := loadSim(t)
	var buf bytes.Buffer
	if err := r.table.Save(&buf, 7); err != nil {
		t.Fatal(err)
	}
	snap := bytes.NewReader(buf.Bytes())
	want := cardsJSON(t, r.table)
	one := New(r.opt)
	n := 0
	for ip, w := range want {
		seq, found, err := one.LoadHost(snap, snap.Size(), netip.MustParseAddr(ip))
		if err != nil || !found || seq != 7 {
			t.Fatalf("LoadHost(%s): seq %d found %v err %v", ip, seq, found, err)
		}
		c, ok := one.Get(netip.MustParseAddr(ip))
		if !ok {
			t.Fatalf("LoadHost(%s) then Get: absent", ip)
		}
		b, _ := json.Marshal(c)
		if string(b) != w {
			t.Fatalf("card of %s read alone differs:\n got %.600s\nwant %.600s", ip, b, w)
		}
		n++
	}
	for _, ip := range []string{"0.0.0.1", "10.255.255.254", "255.255.255.255", "::1", "ffff::1"} {
		if _, found, err := one.LoadHost(snap, snap.Size(), netip.MustParseAddr(ip)); err != nil || found {
			t.Errorf("LoadHost(%s): found %v, %v", ip, found, err)
		}
	}
	t.Logf("%d hosts read one by one", n)

	// Damage anywhere: LoadHost errs, or answers exactly right; it never
	// answers "absent" for a host the snapshot has, nor a wrong card.
	data := buf.Bytes()
	var ips []string
	for ip := range want {
		ips = append(ips, ip)
	}
	slices.Sort(ips)
	d := bytes.Clone(data)
	for i := 0; i < 400; i++ {
		pos := (i*104729 + 7) % len(d)
		d[pos] ^= byte(1 + i%255)
		ip := ips[i%len(ips)]
		dr := bytes.NewReader(d)
		_, found, err := one.LoadHost(dr, dr.Size(), netip.MustParseAddr(ip))
		d[pos] = data[pos]
		if err != nil {
			if !errors.Is(err, ErrSnapshot) {
				t.Errorf("damaged: error %v is not ErrSnapshot", err)
			}
			continue
		}
		if !found {
			t.Fatalf("byte %d flipped: %s reported absent", pos, ip)
		}
		c, _ := one.Get(netip.MustParseAddr(ip))
		if b, _ := json.Marshal(c); string(b) != want[ip] {
			t.Fatalf("byte %d flipped: wrong card for %s", pos, ip)
		}
	}
}

// TestRebuildEqualsIncremental: a table rebuilt by observing the events
// in order (after Reset) equals the one built incrementally.
func TestRebuildEqualsIncremental(t *testing.T) {
	r := loadSim(t)
	evs := r.evs[:60000]
	a := New(r.opt)
	for i := 0; i < len(evs); i += 777 {
		a.ObserveBatch(evs[i:min(i+777, len(evs))])
		if i%7 == 0 {
			a.List() // readers in between settle pending state
		}
	}
	b := New(r.opt)
	b.ObserveBatch(evs[:100])
	b.Reset()
	for _, ev := range evs {
		b.Observe(ev)
	}
	ja, jb := cardsJSON(t, a), cardsJSON(t, b)
	if len(ja) != len(jb) {
		t.Fatalf("%d vs %d hosts", len(ja), len(jb))
	}
	for ip, w := range ja {
		if jb[ip] != w {
			t.Fatalf("%s differs:\n%.800s\n%.800s", ip, w, jb[ip])
		}
	}
}

func TestParseApproved(t *testing.T) {
	got, err := ParseApproved([]string{"10.0.0.1:3128", "[2001:db8::1]:8080", "10.0.0.2", " 2001:db8::2 "})
	if err != nil {
		t.Fatal(err)
	}
	want := []ApprovedProxy{{netip.MustParseAddr("10.0.0.1"), 3128}, {netip.MustParseAddr("2001:db8::1"), 8080},
		{netip.MustParseAddr("10.0.0.2"), 0}, {netip.MustParseAddr("2001:db8::2"), 0}}
	if len(got) != len(want) {
		t.Fatalf("%v", got)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("%d: %v, want %v", i, got[i], want[i])
		}
	}
	if _, err := ParseApproved([]string{"proxy.example:3128"}); err == nil {
		t.Errorf("a name was accepted")
	}
}

// TestApprovalPorts: approval covers the ports listed; a listed proxy
// that starts proxying on another port is no longer approved.
func TestApprovalPorts(t *testing.T) {
	px := netip.MustParseAddr("10.1.1.1")
	mk := func(approved []ApprovedProxy, ports ...int64) Card {
		tb := New(Options{Approved: approved})
		for i, p := range ports {
			st := int64(200)
			tb.Observe(&event.Event{Time: time.Unix(1700000000+int64(i), 0), EventType: "http", FlowID: uint64(i + 1),
				SrcIP: netip.MustParseAddr("10.2.2.2"), DestIP: px, SrcPort: 50000, DestPort: p, Proto: "TCP",
				HTTP: &event.HTTP{Method: "CONNECT", URL: "example.com:443", Hostname: "example.com", Status: &st}})
		}
		c, _ := tb.Get(px)
		return c
	}
	if c := mk([]ApprovedProxy{{px, 3128}}, 3128); !c.Approved || role(c, RoleHTTPProxy) == nil {
		t.Errorf("approved on its port: %+v", c.Roles)
	}
	if c := mk([]ApprovedProxy{{px, 3128}}, 3128, 8888); c.Approved {
		t.Errorf("approved although it proxies on 8888 too")
	}
	if c := mk([]ApprovedProxy{{px, 0}}, 3128, 8888); !c.Approved {
		t.Errorf("port 0 approves every port")
	}
	if c := mk(nil, 3128); c.Approved || *role(c, RoleHTTPProxy).Approved {
		t.Errorf("unlisted proxy approved")
	}
}

// TestSavePendingRuns: a snapshot written while identity and value runs
// are pending (Observe ran after the last reader) holds their counts.
func TestSavePendingRuns(t *testing.T) {
	a, b := netip.MustParseAddr("10.0.0.1"), netip.MustParseAddr("10.0.0.2")
	tb := New(Options{})
	for i := 0; i < 5; i++ {
		tb.Observe(&event.Event{Time: time.Unix(1700000000+int64(i), 0), EventType: "tls", Host: "sensor1", SrcIP: a, DestIP: b,
			SrcPort: 50000, DestPort: 443, Proto: "TCP", Enrich: event.Enrichment{SrcGroups: []string{"Users"}},
			TLS: &event.TLS{SNI: "x.example", JA4: "t13d", Version: "TLS 1.3"}})
	}
	var buf bytes.Buffer
	tb.mu.RLock()
	err := tb.saveLocked(&buf, 7) // no settle: runs pending
	tb.mu.RUnlock()
	if err != nil {
		t.Fatal(err)
	}
	back := New(Options{})
	if _, err := back.Load(&buf); err != nil {
		t.Fatal(err)
	}
	want, _ := tb.Get(a) // settles
	got, _ := back.Get(a)
	wj, _ := json.Marshal(want)
	gj, _ := json.Marshal(got)
	if string(wj) != string(gj) {
		t.Errorf("pending runs lost:\n got %s\nwant %s", gj, wj)
	}
	if got.Events != 5 || got.Sensors.Values[0].Count != 5 || got.Groups.Values[0].Count != 5 || got.Fingerprints.JA4.Values[0].Count != 5 {
		t.Errorf("counts after reload: events %d sensor %+v groups %+v ja4 %+v", got.Events, got.Sensors, got.Groups, got.Fingerprints.JA4)
	}
}

// TestConcurrentReaders runs readers while the ingest goroutine observes
// (go test -race checks the locking).
func TestConcurrentReaders(t *testing.T) {
	r := loadSim(t)
	evs := r.evs[:30000]
	tb := New(r.opt)
	done := make(chan struct{})
	go func() {
		defer close(done)
		for i := 0; i < len(evs); i += 500 {
			tb.ObserveBatch(evs[i:min(i+500, len(evs))])
		}
	}()
	ip := netip.MustParseAddr(r.org.DNSServers[0])
	stop := false
	for !stop {
		select {
		case <-done:
			stop = true
		default:
		}
		tb.Get(ip)
		tb.Roles(ip)
		if _, err := tb.Query(`host.roles:* AND host.internal:true`, 5); err != nil {
			t.Fatal(err)
		}
		tb.List()
		if err := tb.Save(io.Discard, 1); err != nil {
			t.Fatal(err)
		}
		tb.Stats()
	}
	if roles, ok := tb.Roles(ip); !ok || len(roles) == 0 {
		t.Errorf("DNS server roles %v", roles)
	}
}
