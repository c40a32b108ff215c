package hosts

import (
	"fmt"
	"testing"
	"time"
)

// TestValueSetOutgrowsIndex: a set indexed for a small limit, then fed
// under a larger one (as after a snapshot load, or two call sites with
// different caps), must grow its index rather than probe a full one
// forever (seen as a hang on simulator seed 2).
func TestValueSetOutgrowsIndex(t *testing.T) {
	done := make(chan struct{})
	go func() {
		defer close(done)
		var s valueSet
		for i := 0; i < 40; i++ {
			s.add(fmt.Sprint("small-", i), int64(i), 40, keepFirst)
		}
		for i := 0; i < 3000; i++ {
			s.add(fmt.Sprint("big-", i), int64(i), 4000, keepFirst)
		}
		for i := 0; i < 3000; i++ {
			if !s.has(fmt.Sprint("big-", i)) {
				t.Errorf("lost big-%d", i)
				return
			}
		}
		if s.has("absent") {
			t.Error("found an absent value")
		}
	}()
	select {
	case <-done:
	case <-time.After(20 * time.Second):
		t.Fatal("value set hangs")
	}
}
