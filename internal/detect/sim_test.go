package detect

import (
	"bufio"
	"bytes"
	"encoding/json"
	"net/netip"
	"testing"

	"github.com/nethunt/nethunt/internal/decode"
	"github.com/nethunt/nethunt/internal/event"
	"github.com/nethunt/nethunt/internal/hosts"
	"github.com/nethunt/nethunt/internal/sightings"
	"github.com/nethunt/nethunt/internal/sim"
)

// simRun generates a simulation, runs sightings and detection over it in
// batches the way the pipeline does, and returns the findings and truth.
func simRun(t testing.TB, cfg sim.Config, opt Options) ([]*event.Event, sim.Truth, *Stage) {
	return simRunFilter(t, cfg, opt, nil)
}

// simRunFilter is simRun keeping only the events keep accepts (nil: all).
func simRunFilter(t testing.TB, cfg sim.Config, opt Options, keep func(*event.Event) bool) ([]*event.Event, sim.Truth, *Stage) {
	t.Helper()
	var eve, tr bytes.Buffer
	if _, err := sim.Generate(cfg, &eve, &tr); err != nil {
		t.Fatal(err)
	}
	var truth sim.Truth
	if err := json.Unmarshal(tr.Bytes(), &truth); err != nil {
		t.Fatal(err)
	}
	for _, p := range truth.Org.ApprovedProxies {
		ap, err := netip.ParseAddrPort(p)
		if err != nil {
			t.Fatal(err)
		}
		opt.ApprovedProxies = append(opt.ApprovedProxies, hosts.ApprovedProxy{Addr: ap.Addr(), Port: int(ap.Port())})
	}
	for _, n := range truth.Org.HomeNets {
		opt.HomeNets = append(opt.HomeNets, netip.MustParsePrefix(n))
	}
	st, err := New(opt)
	if err != nil {
		t.Fatal(err)
	}
	tk := sightings.New(sightings.Options{})
	var out []*event.Event
	var batch []*event.Event
	flush := func() {
		var derived []*event.Event
		tk.ObserveBatch(batch, func(x sightings.Sighting) { derived = append(derived, sightings.ToEvent(x)) })
		out = append(out, st.Process(append(batch, derived...))...)
		batch = batch[:0]
	}
	sc := bufio.NewScanner(&eve)
	sc.Buffer(make([]byte, 1<<20), 4<<20)
	for sc.Scan() {
		ev, err := decode.Decode(sc.Bytes())
		if err != nil {
			t.Fatal(err)
		}
		if keep != nil && !keep(ev) {
			continue
		}
		batch = append(batch, ev)
		if len(batch) == 5000 {
			flush()
		}
	}
	if len(batch) > 0 {
		flush()
	}
	return out, truth, st
}

func findingsOf(evs []*event.Event) []event.Finding {
	var fs []event.Finding
	for _, ev := range evs {
		fs = append(fs, *ev.Finding)
	}
	return fs
}

func TestSimulatorRecall(t *testing.T) {
	for _, seed := range []int64{1, 2, 3} {
		evs, truth, _ := simRun(t, sim.Config{Seed: seed, Hosts: 150, Hours: 8}, Options{})
		rep := Score(truth, findingsOf(evs))
		var b bytes.Buffer
		rep.Write(&b)
		t.Logf("seed %d: %d finding events, %d findings\n%s", seed, len(evs), rep.Findings, b.String())
		for _, k := range rep.Recall {
			if k.Detected != k.Cases {
				t.Errorf("seed %d: recall %s = %d/%d", seed, k.Kind, k.Detected, k.Cases)
			}
		}
		if esc := rep.BenignEscalated(); len(esc) > 0 {
			t.Errorf("seed %d: benign look-alikes escalated: %v", seed, esc)
		}
	}
}
