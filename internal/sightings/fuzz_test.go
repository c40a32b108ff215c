package sightings

import (
	"bytes"
	"net/netip"
	"testing"
	"time"

	"github.com/nethunt/nethunt/internal/event"
)

// FuzzReadSnapshot: any bytes read as a sightings snapshot give an error
// or a usable tracker, never a panic.
func FuzzReadSnapshot(f *testing.F) {
	t := New(Options{})
	for _, sni := range []string{"example.org", "example.com", "www.example.net"} {
		t.Observe(&event.Event{EventType: "tls", Time: time.Date(2026, 11, 20, 8, 0, 0, 0, time.UTC),
			SrcIP: netip.MustParseAddr("10.0.0.1"), DestIP: netip.MustParseAddr("192.0.2.1"), DestPort: 443, Proto: "TCP",
			TLS: &event.TLS{SNI: sni}}, func(Sighting) {})
	}
	if !t.Seen("tls.sni", "example.org") {
		f.Fatal("seed tracker did not learn its values")
	}
	var b bytes.Buffer
	if err := t.WriteSnapshot(&b); err != nil {
		f.Fatal(err)
	}
	f.Add(b.Bytes())
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, b []byte) {
		tr := New(Options{})
		if err := tr.ReadSnapshot(bytes.NewReader(b)); err == nil {
			tr.Seen("tls.sni", "example.org")
			tr.Len()
		}
	})
}
