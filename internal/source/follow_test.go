package source

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"
)

const testPoll = 5 * time.Millisecond

// startFollow runs Follow in the background; stop cancels it and returns
// its result, failing the test if it does not return promptly.
func startFollow(t *testing.T, path string, opt FollowOptions) (c *collector, stop func() error) {
	t.Helper()
	if opt.Poll == 0 {
		opt.Poll = testPoll
	}
	c = &collector{}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- Follow(ctx, path, opt, c) }()
	stopped := false
	var result error
	stop = func() error {
		if !stopped {
			stopped = true
			cancel()
			select {
			case result = <-done:
			case <-time.After(5 * time.Second):
				t.Fatal("Follow did not return after cancel")
			}
		}
		return result
	}
	t.Cleanup(func() { stop() })
	return c, stop
}

// checkSeq checks that the records are events from..to, in order, each once.
func checkSeq(t *testing.T, c *collector, from, to int) {
	t.Helper()
	recs := c.recs()
	if len(recs) != to-from+1 {
		t.Fatalf("got %d records, want %d:\n%s", len(recs), to-from+1, c.dump())
	}
	for i, r := range recs {
		if want := evLine(from + i); r.data+"\n" != want {
			t.Fatalf("record %d = %q, want %q\n%s", i, r.data, want, c.dump())
		}
	}
}

func TestFollowAppend(t *testing.T) {
	p := tempPath(t, "eve.json")
	appendFile(t, p, evLines(1, 5))
	c, stop := startFollow(t, p, FollowOptions{})
	waitRecs(t, c, 5)
	for i := 6; i <= 20; i += 5 {
		appendFile(t, p, evLines(i, i+4))
	}
	waitRecs(t, c, 20)
	if err := stop(); err != nil {
		t.Fatal(err)
	}
	expectRecs(t, c, p, reference([]byte(evLines(1, 20)), DefaultMaxLineBytes, false))
	if len(c.probs())+len(c.eofs()) != 0 {
		t.Fatalf("unexpected events:\n%s", c.dump())
	}
}

func TestFollowPartialLine(t *testing.T) {
	p := tempPath(t, "eve.json")
	appendFile(t, p, evLine(1)+`{"event_type":"dns",`)
	c, _ := startFollow(t, p, FollowOptions{})
	waitRecs(t, c, 1)
	time.Sleep(6 * testPoll) // several polls see the fragment
	if n := len(c.recs()); n != 1 {
		t.Fatalf("fragment delivered:\n%s", c.dump())
	}
	if r := c.recs()[0]; r.off != int64(len(evLine(1))) {
		t.Fatalf("offset %d moved past the fragment", r.off)
	}
	appendFile(t, p, `"n":2}`+"\n")
	waitRecs(t, c, 2)
	all := evLine(1) + `{"event_type":"dns","n":2}` + "\n"
	expectRecs(t, c, p, reference([]byte(all), DefaultMaxLineBytes, false))
}

func TestFollowRotateRename(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "eve.json")
	appendFile(t, p, evLines(1, 10))
	c, stop := startFollow(t, p, FollowOptions{})
	waitRecs(t, c, 10)
	old, err := os.OpenFile(p, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	oldInfo, _ := old.Stat()
	// Just before rotation, and between the rename and the writer's
	// reopen, lines still go to the old file.
	old.WriteString(evLines(11, 20))
	if err := os.Rename(p, filepath.Join(dir, "eve.json.1")); err != nil {
		t.Fatal(err)
	}
	old.WriteString(evLines(21, 25))
	time.Sleep(3 * testPoll) // Follow sees the path missing meanwhile
	old.WriteString(evLines(26, 30))
	old.Close()
	appendFile(t, p, evLines(31, 40))
	waitRecs(t, c, 40)
	appendFile(t, p, evLines(41, 45))
	waitRecs(t, c, 45)
	if err := stop(); err != nil {
		t.Fatal(err)
	}
	checkSeq(t, c, 1, 45)
	recs := c.recs()
	if recs[29].id == recs[30].id || recs[30].line != 1 || recs[29].line != 30 {
		t.Fatalf("instances not told apart: %v / %v", recs[29], recs[30])
	}
	eofs := c.eofs()
	oldDev, oldIno := devIno(oldInfo)
	if len(eofs) != 1 || eofs[0].off != int64(len(evLines(1, 30))) || eofs[0].id != recs[0].id ||
		eofs[0].id.Ino != oldIno || eofs[0].id.Dev != oldDev {
		t.Fatalf("EndOfFile for the old file:\n%s", c.dump())
	}
	// EndOfFile comes between the last old and the first new record.
	ev := c.all()
	for i, e := range ev {
		if e.kind == evEOF && (ev[i-1].line != 30 || ev[i+1].line != 1) {
			t.Fatalf("EndOfFile out of place:\n%s", c.dump())
		}
	}
	if len(c.probs()) != 0 {
		t.Fatalf("problems:\n%s", c.dump())
	}
}

func TestFollowTruncate(t *testing.T) {
	p := tempPath(t, "eve.json")
	appendFile(t, p, evLines(1, 20))
	c, stop := startFollow(t, p, FollowOptions{})
	waitRecs(t, c, 20)
	// copytruncate: the writer keeps its O_APPEND descriptor.
	w, err := os.OpenFile(p, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	if err := os.Truncate(p, 0); err != nil {
		t.Fatal(err)
	}
	w.WriteString(evLines(21, 23))
	waitRecs(t, c, 23)
	stop()
	checkSeq(t, c, 1, 23)
	recs := c.recs()
	if recs[20].line != 1 || recs[20].off != int64(len(evLine(21))) {
		t.Fatalf("after truncation: %v", recs[20])
	}
	if e := c.eofs(); len(e) != 1 || e[0].off != int64(len(evLines(1, 20))) || e[0].id != recs[0].id {
		t.Fatalf("EndOfFile for the truncated instance:\n%s", c.dump())
	}
	if len(c.probs()) != 0 {
		t.Fatalf("truncation must not be a problem:\n%s", c.dump())
	}
}

// Rewritten in place with more data than before: the size does not shrink
// at a poll, the changed head gives it away.
func TestFollowRewriteInPlace(t *testing.T) {
	p := tempPath(t, "eve.json")
	appendFile(t, p, evLines(1, 3))
	c, stop := startFollow(t, p, FollowOptions{Poll: 40 * time.Millisecond})
	waitRecs(t, c, 3)
	time.Sleep(10 * time.Millisecond) // let Follow go back to sleep
	if err := os.WriteFile(p, []byte(evLines(101, 130)), 0o644); err != nil {
		t.Fatal(err)
	}
	waitRecs(t, c, 33)
	stop()
	recs := c.recs()
	if len(recs) != 33 || recs[3].data+"\n" != evLine(101) || recs[3].line != 1 || recs[32].data+"\n" != evLine(130) {
		t.Fatalf("after rewrite:\n%s", c.dump())
	}
	if len(c.eofs()) != 1 {
		t.Fatalf("EndOfFile:\n%s", c.dump())
	}
}

func TestFollowAppearsLaterAndRecreated(t *testing.T) {
	p := tempPath(t, "eve.json")
	c, stop := startFollow(t, p, FollowOptions{})
	time.Sleep(3 * testPoll)
	appendFile(t, p, evLines(1, 5))
	waitRecs(t, c, 5)
	if err := os.Remove(p); err != nil {
		t.Fatal(err)
	}
	// Deleted, not recreated yet: the old instance is finished and closed.
	waitFor(t, "EndOfFile of the deleted file", c, func() bool { return len(c.eofs()) == 1 })
	appendFile(t, p, evLines(6, 10))
	waitRecs(t, c, 10)
	if err := stop(); err != nil {
		t.Fatal(err)
	}
	checkSeq(t, c, 1, 10)
	if len(c.probs()) != 0 {
		t.Fatalf("problems:\n%s", c.dump())
	}
}

func TestFollowResumeRestart(t *testing.T) {
	p := tempPath(t, "eve.json")
	appendFile(t, p, evLines(1, 10)+`{"partial":`)
	c, stop := startFollow(t, p, FollowOptions{})
	waitRecs(t, c, 10)
	if err := stop(); err != nil {
		t.Fatal(err)
	}
	last := c.recs()[9]
	// More data arrives while we are down.
	appendFile(t, p, "1}\n"+evLines(12, 15))
	resumed := false
	resume := func(path string, id FileID) int64 {
		if path == p && id == last.id {
			resumed = true
			return last.off
		}
		return 0
	}
	for _, noRecount := range []bool{false, true} {
		c2, stop2 := startFollow(t, p, FollowOptions{Options: Options{Resume: resume, NoRecount: noRecount}})
		waitRecs(t, c2, 5)
		time.Sleep(3 * testPoll)
		stop2()
		if !resumed {
			t.Fatal("Resume did not recognise the file")
		}
		recs := c2.recs()
		if len(recs) != 5 || recs[0].data != `{"partial":1}` || recs[1].data+"\n" != evLine(12) || recs[4].data+"\n" != evLine(15) {
			t.Fatalf("after restart:\n%s", c2.dump())
		}
		wantLine := int64(11)
		if noRecount {
			wantLine = 1
		}
		if recs[0].line != wantLine || recs[0].off != last.off+int64(len(`{"partial":1}`)+1) {
			t.Fatalf("first record after restart: %v", recs[0])
		}
	}
}

func TestFollowCancelPrompt(t *testing.T) {
	for _, exists := range []bool{false, true} {
		p := tempPath(t, "eve.json")
		if exists {
			appendFile(t, p, evLine(1))
		}
		c, stop := startFollow(t, p, FollowOptions{Poll: time.Hour})
		if exists {
			waitRecs(t, c, 1)
		}
		start := time.Now()
		if err := stop(); err != nil {
			t.Fatal(err)
		}
		if d := time.Since(start); d > time.Second {
			t.Fatalf("Follow took %v to stop", d)
		}
	}
}

func TestFollowHandlerError(t *testing.T) {
	p := tempPath(t, "eve.json")
	appendFile(t, p, evLines(1, 5))
	boom := errors.New("boom")
	c := &collector{failAt: 2, failEr: boom}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := Follow(ctx, p, FollowOptions{Poll: testPoll}, c); err != boom {
		t.Fatalf("err = %v", err)
	}
	if len(c.recs()) != 1 {
		t.Fatal(c.dump())
	}
}

func TestFollowLongLineAcrossPolls(t *testing.T) {
	p := tempPath(t, "eve.json")
	appendFile(t, p, evLine(1)+fmt.Sprintf("%0100d", 0))
	c, _ := startFollow(t, p, FollowOptions{Options: Options{MaxLineBytes: 150}})
	waitRecs(t, c, 1)
	time.Sleep(3 * testPoll)
	appendFile(t, p, fmt.Sprintf("%0100d\n", 0)+evLine(3))
	waitRecs(t, c, 2)
	pr := c.probs()
	if len(pr) != 1 || pr[0].line != 2 || !errors.Is(pr[0].err, ErrLineTooLong) {
		t.Fatal(c.dump())
	}
	if r := c.recs()[1]; r.line != 3 || r.data+"\n" != evLine(3) {
		t.Fatal(c.dump())
	}
}
