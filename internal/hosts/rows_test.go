package hosts

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/netip"
	"slices"
	"strings"
	"testing"

	"github.com/nethunt/nethunt/internal/query/match"
)

// TestRowsScanEqualsFind: a query evaluated over the saved query rows
// selects exactly the hosts Find selects over the live table — for an
// existence and a non-existence query on every host field, and for
// queries on values of every kind (strings, lists, wildcards, CIDRs,
// numbers, ranges, times, booleans, negations of absent fields).
func TestRowsScanEqualsFind(t *testing.T) {
	r := loadSim(t)
	var buf bytes.Buffer
	if err := r.table.SaveRows(&buf, 9); err != nil {
		t.Fatal(err)
	}
	rs, err := ReadRows(bytes.NewReader(buf.Bytes()), int64(buf.Len()))
	if err != nil {
		t.Fatal(err)
	}
	if rs.Seq != 9 || rs.Hosts != r.table.Len() {
		t.Fatalf("rows: seq %d, %d hosts; want 9, %d", rs.Seq, rs.Hosts, r.table.Len())
	}
	t.Logf("%d hosts: %d bytes of query rows", rs.Hosts, buf.Len())
	var queries []string
	for _, f := range Fields() {
		queries = append(queries, f.Name+":*", "NOT "+f.Name+":*")
	}
	queries = append(queries, scaleQueries...)
	queries = append(queries,
		`host.roles:"http proxy" AND NOT host.approved:true`,
		`host.roles:"dns server" OR host.roles:"domain controller"`,
		`host.services.port:(3128 OR 8080) AND host.internal:true`,
		`host.services.port:[1 TO 1024]`,
		`host.clients:>5 AND NOT host.groups:Users`,
		`host.ip:10.0.0.0/8 AND host.http.user_agent:*Windows*`,
		`host.hostname:*corp* OR host.usernames:*`,
		`host.first_seen:<2026-11-20T02:00:00Z`,
		`host.bytes.out:>=1000000`,
		`NOT host.country:US`,
		`host.unclassified:true AND host.events:>100`,
		`host.services.tls.issuerdn:*Encrypt*`,
		`host.vlans:*`,
	)
	for _, q := range queries {
		e, err := Parse(q)
		if err != nil {
			t.Fatalf("%s: %v", q, err)
		}
		m, err := match.Compile(e)
		if err != nil {
			t.Fatal(err)
		}
		var want, got []netip.Addr
		if err := r.table.Find(m, func(h *Host) bool { want = append(want, h.ip); return true }); err != nil {
			t.Fatal(err)
		}
		if err := rs.Scan(m, func(a netip.Addr) bool { got = append(got, a); return true }); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
		slices.SortFunc(want, netip.Addr.Compare)
		slices.SortFunc(got, netip.Addr.Compare)
		if !slices.Equal(want, got) {
			t.Errorf("%s: rows select %d hosts, Find %d", q, len(got), len(want))
		}
		// The summaries the columns give equal Table.Query's.
		for _, limit := range []int{0, 7} {
			ws, err := r.table.Query(q, limit)
			if err != nil {
				t.Fatal(err)
			}
			gs, err := rs.Query(m, limit)
			if err != nil {
				t.Fatalf("%s: %v", q, err)
			}
			wj, _ := json.Marshal(ws)
			gj, _ := json.Marshal(gs)
			if string(wj) != string(gj) {
				t.Fatalf("%s limit %d: summaries from the columns differ:\n%.600s\nwant\n%.600s", q, limit, gj, wj)
			}
		}
	}
	t.Logf("%d queries agree", len(queries))

	// Damage is an error, never a wrong answer: a query reading every
	// column sees every flipped byte.
	var all []string
	for _, f := range Fields() {
		all = append(all, f.Name+":*")
	}
	e, err := Parse(strings.Join(all, " OR "))
	if err != nil {
		t.Fatal(err)
	}
	mAll, err := match.Compile(e)
	if err != nil {
		t.Fatal(err)
	}
	data := buf.Bytes()
	d := bytes.Clone(data)
	for i := 0; i < 200; i++ {
		pos := (i*7919 + 3) % len(d)
		d[pos] ^= byte(1 + i%255)
		rs, err := ReadRows(bytes.NewReader(d), int64(len(d)))
		if err == nil {
			err = rs.Scan(mAll, func(netip.Addr) bool { return true })
		}
		if err == nil {
			_, err = rs.Query(mAll, 0)
		}
		if err == nil || !errors.Is(err, ErrSnapshot) {
			t.Fatalf("byte %d flipped: %v", pos, err)
		}
		d[pos] = data[pos]
	}
	// Behind the checksums, the value decoder survives damaged bytes.
	for i := range rs.cols {
		col, err := rs.column(i)
		if err != nil {
			t.Fatal(err)
		}
		for j := 0; j < 20 && len(col) > 0; j++ {
			bad := bytes.Clone(col)
			bad[(j*104729)%len(bad)] ^= byte(1 + j)
			if j%3 == 0 {
				bad = bad[:len(bad)*j/20]
			}
			func() {
				defer func() {
					if p := recover(); p != nil {
						t.Fatalf("decoding damaged column %s panicked: %v", rowsColumns()[i], p)
					}
				}()
				dec := rowDecoder{b: bad}
				var sb []string
				var ib []int64
				for len(dec.b) > 0 {
					if i == len(hostFields)+1 {
						break // the summary index: fixed-size entries
					}
					if i == len(hostFields) {
						if _, err := dec.summary(); err != nil {
							break
						}
					} else if _, err := dec.value(&sb, &ib); err != nil {
						break
					}
				}
			}()
		}
	}
}

// BenchmarkRowsScan100k: a host query over the query rows of 100,000 hosts,
// what a cold `nethunt hosts QUERY` pays instead of loading the profiles.
func BenchmarkRowsScan100k(b *testing.B) {
	tb := scaleTable(b)
	var buf bytes.Buffer
	if err := tb.SaveRows(&buf, 1); err != nil {
		b.Fatal(err)
	}
	b.Logf("query rows of %d hosts: %.1f MB", tb.Len(), float64(buf.Len())/1e6)
	for _, q := range scaleQueries {
		e, _ := Parse(q)
		m, _ := match.Compile(e)
		b.Run(fmt.Sprintf("%.40s", q), func(b *testing.B) {
			for b.Loop() {
				rs, err := ReadRows(bytes.NewReader(buf.Bytes()), int64(buf.Len()))
				if err != nil {
					b.Fatal(err)
				}
				rs.Scan(m, func(netip.Addr) bool { return true })
			}
		})
	}
}
