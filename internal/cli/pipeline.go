package cli

import (
	"context"
	"fmt"
	"io"
	"net/netip"
	"path/filepath"
	"time"

	"github.com/nethunt/nethunt/internal/config"
	"github.com/nethunt/nethunt/internal/decode"
	"github.com/nethunt/nethunt/internal/detect"
	"github.com/nethunt/nethunt/internal/enrich"
	"github.com/nethunt/nethunt/internal/event"
	"github.com/nethunt/nethunt/internal/ingest"
	"github.com/nethunt/nethunt/internal/sightings"
	"github.com/nethunt/nethunt/internal/store"
)

// stateDir holds derived state (sightings, host insights) beside the store.
func stateDir(cfg *config.Config) string { return cfg.Store.Path + ".state" }

// newPipeline builds the ingest pipeline from the configuration: enrichment
// and the stateful stages, caught up with the store by replaying the
// batches stored after their last snapshot (a crash or kill -9 loses no
// state and duplicates no sighting).
func newPipeline(ctx context.Context, cfg *config.Config, st store.Store, log io.Writer) (*ingest.Pipeline, error) {
	en, err := enrich.New(cfg)
	if err != nil {
		return nil, err
	}
	p := &ingest.Pipeline{Store: st, Enrich: en, BatchSize: cfg.Ingest.BatchSize}
	var stages []catchUp
	hs, err := loadHosts(cfg)
	if err != nil {
		return nil, err
	}
	p.Stages = append(p.Stages, hs)
	stages = append(stages, catchUp{hs, hs.seq})
	if *cfg.Sightings.Enabled {
		if err := sightings.CheckKeys(cfg.Sightings.Keys); err != nil {
			return nil, fmt.Errorf("sightings.keys: %w", err)
		}
		s, err := sightings.LoadStage(filepath.Join(stateDir(cfg), "sightings.snap"), time.Duration(*cfg.Sightings.Learning), cfg.Sightings.Keys)
		if err != nil {
			return nil, err
		}
		// Roles as Host Insights knows them when the value is first seen
		// (the hosts stage runs first, on the same batch).
		s.Asset = func(a netip.Addr) ([]string, []string) {
			roles, _ := hs.T.Roles(a)
			return en.Groups(a), roles
		}
		p.Stages = append(p.Stages, s)
		stages = append(stages, catchUp{s, s.Seq()})
	}
	hopt, err := hostsOptions(cfg)
	if err != nil {
		return nil, err
	}
	det, err := detect.New(detect.Options{
		StatePath:       filepath.Join(stateDir(cfg), "detect.snap"),
		Hosts:           hs.T,
		HomeNets:        hopt.HomeNets,
		ApprovedProxies: hopt.Approved,
		Allow:           cfg.Allow,
		Deny:            cfg.Deny,
		Lists:           en.Lists(),
	})
	if err != nil {
		return nil, err
	}
	p.Stages = append(p.Stages, det)
	stages = append(stages, catchUp{det, det.Seq()})
	en.OnLists = det.SetLists
	go en.Run(ctx) // reload intel, GeoIP and reference lists when their files change
	if err := replay(ctx, cfg, en, st, stages, log); err != nil {
		return nil, err
	}
	return p, nil
}

type catchUp struct {
	stage ingest.Stage
	seq   int64
}

// replay feeds stored batches after each stage's snapshot through it,
// discarding what it derives (that was stored the first time). Events are
// enriched as at ingest (network groups, GeoIP, intel...), with en, or
// with an enricher built from cfg when en is nil: Host Insights keep
// groups and countries, detectors their intel, whichever way state is
// rebuilt.
func replay(ctx context.Context, cfg *config.Config, en *enrich.Enricher, st store.Store, stages []catchUp, log io.Writer) error {
	if len(stages) == 0 {
		return nil
	}
	from := stages[0].seq
	for _, c := range stages {
		from = min(from, c.seq)
	}
	if from >= st.Seq() {
		return nil
	}
	if en == nil {
		var err error
		if en, err = enrich.New(cfg); err != nil {
			return err
		}
	}
	t0 := time.Now()
	var batch []*event.Event
	cur, n := int64(-1), 0
	flush := func() {
		for _, c := range stages {
			if cur > c.seq {
				c.stage.Process(batch)
			}
		}
		batch = batch[:0]
	}
	err := st.Replay(ctx, from, func(seq int64, raw string) error {
		if seq != cur && len(batch) > 0 {
			flush()
		}
		cur = seq
		ev, err := decode.Decode([]byte(raw))
		if err != nil {
			return nil // stored events decoded once; a failure here is not fatal
		}
		en.Event(ev)
		batch = append(batch, ev)
		n++
		return nil
	})
	if len(batch) > 0 {
		flush()
	}
	if err != nil {
		return fmt.Errorf("catching up derived state from the store: %w", err)
	}
	fmt.Fprintf(log, "caught up derived state from %d stored events (batches after %d) in %s\n", n, from, time.Since(t0).Round(time.Millisecond))
	return nil
}
