package detect

import (
	"os"
	"path/filepath"
	"testing"
)

// FuzzLoadState: a damaged detection snapshot is an error (or an empty
// state for another version), never a panic. The state is gob; gob
// bounds its own allocations by the input size.
func FuzzLoadState(f *testing.F) {
	dir := f.TempDir()
	good := filepath.Join(dir, "good.snap")
	s, err := New(Options{StatePath: good})
	if err != nil {
		f.Fatal(err)
	}
	if err := s.Snapshot(5); err != nil {
		f.Fatal(err)
	}
	b, err := os.ReadFile(good)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(b)
	f.Add([]byte(snapMagic))
	f.Fuzz(func(t *testing.T, b []byte) {
		p := filepath.Join(t.TempDir(), "x.snap")
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
		if _, st, err := loadState(p, 1000); err == nil && st == nil {
			t.Fatal("no error and no state")
		}
	})
}
