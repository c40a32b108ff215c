package detect

import (
	"os"
	"strconv"
	"testing"

	"github.com/nethunt/nethunt/internal/event"
	"github.com/nethunt/nethunt/internal/sim"
)

func TestDumpFindings(t *testing.T) {
	seed, _ := strconv.Atoi(os.Getenv("SEED"))
	if seed == 0 {
		t.Skip()
	}
	evs, _, _ := simRun(t, sim.Config{Seed: int64(seed), Hosts: 150, Hours: 8}, Options{})
	for _, f := range Latest(findingsOf(evs)) {
		t.Logf("%s %s %s score=%d %s\n  %s\n  clients=%v proxy=%s dests=%v domains=%v hosts=%v hops=%d n=%d ev=%d\n  %s", f.ID, f.Kind, f.Decision, f.Score, f.Title, f.Reasons, f.Clients, f.Proxy, f.Destinations, f.Domains, f.Hosts, f.HopCount, f.EventCount, len(f.Evidence), f.Explanation)
	}
}

func TestManySeeds(t *testing.T) {
	n, _ := strconv.Atoi(os.Getenv("SEEDS"))
	if n == 0 {
		t.Skip()
	}
	hostsN, _ := strconv.Atoi(os.Getenv("HOSTS"))
	if hostsN == 0 {
		hostsN = 150
	}
	hours, _ := strconv.ParseFloat(os.Getenv("HOURS"), 64)
	if hours == 0 {
		hours = 8
	}
	for seed := int64(4); seed < int64(4+n); seed++ {
		evs, truth, _ := simRun(t, sim.Config{Seed: seed, Hosts: hostsN, Hours: hours}, Options{})
		rep := Score(truth, findingsOf(evs))
		miss := 0
		for _, k := range rep.Recall {
			miss += k.Cases - k.Detected
		}
		t.Logf("seed %d: findings %d fp %d missed %d benign-escalated %v", seed, rep.Findings, len(rep.FP), miss, rep.BenignEscalated())
		for _, f := range rep.FP {
			t.Logf("   FP %s %s %s %v", f.Kind, f.Decision, f.Title, f.Reasons)
		}
		for _, c := range rep.Cases {
			if !c.Case.Benign && !c.Detected {
				t.Logf("   MISSED %s %+v %v", c.Case.Kind, c.Case.Hosts, c.Case.Notes)
			}
		}
	}
}

// TestDegraded (opt-in: DEGRADE=dns|http|fingerprints|v7) runs the simulator
// with a kind of record missing, as sensors configured differently produce.
func TestDegraded(t *testing.T) {
	mode := os.Getenv("DEGRADE")
	if mode == "" {
		t.Skip()
	}
	for _, seed := range []int64{1, 2, 3} {
		cfg := sim.Config{Seed: seed, Hosts: 150, Hours: 8}
		if mode == "v7" {
			cfg.Suricata8Fraction = -1
		}
		evs, truth, _ := simRunFilter(t, cfg, Options{}, func(ev *event.Event) bool {
			switch mode {
			case "dns":
				return ev.EventType != "dns"
			case "http":
				return ev.EventType != "http"
			case "fingerprints":
				if ev.TLS != nil {
					ev.TLS.JA3, ev.TLS.JA4 = nil, ""
				}
			}
			return true
		})
		rep := Score(truth, findingsOf(evs))
		miss := 0
		for _, k := range rep.Recall {
			miss += k.Cases - k.Detected
		}
		t.Logf("%s seed %d: findings %d fp %d missed %d benign-escalated %v", mode, seed, rep.Findings, len(rep.FP), miss, rep.BenignEscalated())
		for _, f := range rep.FP {
			t.Logf("   FP %s %s %s %v", f.Kind, f.Decision, f.Title, f.Reasons)
		}
		for _, c := range rep.Cases {
			if !c.Case.Benign && !c.Detected {
				t.Logf("   MISSED %s", c.Case.Kind)
			}
		}
	}
}
