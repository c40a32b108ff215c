package sightings

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"os"
	"time"

	"github.com/nethunt/nethunt/internal/atomicfile"
	"github.com/nethunt/nethunt/internal/event"
)

// Stage runs a Tracker inside the ingest pipeline: new values become
// sighting events stored with the batch that revealed them, and the state
// is snapshotted at the batch sequence the store has committed.
//
// The learning period starts at the first event the deployment ever saw
// (event time, not wall time, so ingesting last month's files learns from
// last month), and that start is kept in the snapshot so a restart does not
// reopen it.
type Stage struct {
	Path     string        // snapshot file
	Learning time.Duration // learning period; 0 = none
	Keys     []string      // nil = all
	// Asset, when set, gives the network groups and roles of a sighting's
	// asset (from enrichment and Host Insights) to record with it.
	Asset func(netip.Addr) (groups, roles []string)

	T     *Tracker
	start time.Time // first event time of the deployment
	seq   int64     // batch sequence the loaded snapshot covers
}

const stageMagic = "NHSIGHT1"

// LoadStage opens the stage, reading its snapshot when one exists. Seq
// reports the store batch the snapshot covers (0 = none), from which the
// caller replays.
func LoadStage(path string, learning time.Duration, keys []string) (*Stage, error) {
	s := &Stage{Path: path, Learning: learning, Keys: keys}
	f, err := os.Open(path)
	if errors.Is(err, os.ErrNotExist) {
		return s, nil
	}
	if err != nil {
		return nil, err
	}
	defer f.Close()
	r := bufio.NewReaderSize(f, 1<<20)
	if s.seq, s.start, err = readHead(r, path); err != nil {
		return nil, err
	}
	s.T = New(Options{LearningUntil: s.learningUntil(), Keys: keys})
	if err := s.T.ReadSnapshot(r); err != nil {
		return nil, fmt.Errorf("sightings state %s: %w", path, err)
	}
	return s, nil
}

// SnapshotSeq reads the batch sequence a stage snapshot covers, without
// loading it (for `nethunt stats`).
func SnapshotSeq(path string) (int64, error) {
	f, err := os.Open(path)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	seq, _, err := readHead(f, path)
	return seq, err
}

// readHead reads a stage snapshot's magic, batch sequence and deployment
// start.
func readHead(r io.Reader, path string) (seq int64, start time.Time, err error) {
	var head [len(stageMagic) + 16]byte
	if _, err := io.ReadFull(r, head[:]); err != nil || string(head[:len(stageMagic)]) != stageMagic {
		return 0, start, fmt.Errorf("sightings state %s is damaged; remove it: the next ingest or serve rebuilds it from the stored events", path)
	}
	return int64(binary.LittleEndian.Uint64(head[len(stageMagic):])), time.Unix(0, int64(binary.LittleEndian.Uint64(head[len(stageMagic)+8:]))).UTC(), nil
}

// Seq is the store batch sequence the loaded state covers.
func (s *Stage) Seq() int64 { return s.seq }

func (s *Stage) learningUntil() time.Time {
	if s.Learning <= 0 || s.start.IsZero() {
		return time.Time{}
	}
	return s.start.Add(s.Learning)
}

// Process implements ingest.Stage.
func (s *Stage) Process(batch []*event.Event) []*event.Event {
	if s.T == nil {
		for _, ev := range batch {
			if !ev.Time.IsZero() && (s.start.IsZero() || ev.Time.Before(s.start)) {
				s.start = ev.Time
			}
		}
		s.T = New(Options{LearningUntil: s.learningUntil(), Keys: s.Keys})
	}
	var out []*event.Event
	s.T.ObserveBatch(batch, func(x Sighting) {
		ev := ToEvent(x)
		if s.Asset != nil && x.Asset.IsValid() {
			g, r := s.Asset(x.Asset)
			Annotate(ev, g, r)
		}
		out = append(out, ev)
	})
	return out
}

// Snapshot implements ingest.Snapshotter: write to a temporary file, sync,
// rename, so a crash leaves the previous snapshot intact.
func (s *Stage) Snapshot(seq int64) error {
	if s.T == nil {
		return nil
	}
	err := atomicfile.Write(s.Path, func(w io.Writer) error {
		var head [len(stageMagic) + 16]byte
		copy(head[:], stageMagic)
		binary.LittleEndian.PutUint64(head[len(stageMagic):], uint64(seq))
		binary.LittleEndian.PutUint64(head[len(stageMagic)+8:], uint64(s.start.UnixNano()))
		if _, err := w.Write(head[:]); err != nil {
			return err
		}
		return s.T.WriteSnapshot(w)
	})
	if err != nil {
		return fmt.Errorf("sightings snapshot: %w", err)
	}
	s.seq = seq
	return nil
}
