package sightings

import (
	"bytes"
	"testing"
)

// FuzzReadSnapshot: any bytes read as a sightings snapshot give an error
// or a usable tracker, never a panic.
func FuzzReadSnapshot(f *testing.F) {
	t := New(Options{})
	t.Seen("tls.sni", "example.org")
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
