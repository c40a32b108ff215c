package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"text/tabwriter"

	"github.com/nethunt/nethunt/internal/atomicfile"
	"github.com/nethunt/nethunt/internal/config"
	"github.com/nethunt/nethunt/internal/detect"
	"github.com/nethunt/nethunt/internal/event"
	"github.com/nethunt/nethunt/internal/hosts"
	"github.com/nethunt/nethunt/internal/ingest"
	"github.com/nethunt/nethunt/internal/query/match"
	"github.com/nethunt/nethunt/internal/sightings"
	"github.com/nethunt/nethunt/internal/store"
	"github.com/nethunt/nethunt/internal/store/duckdb"
)

// hostStage keeps Host Insights current inside the ingest pipeline and
// snapshots it at committed batches, like the sightings stage.
type hostStage struct {
	T    *hosts.Table
	path string
	seq  int64
}

func hostsOptions(cfg *config.Config) (hosts.Options, error) {
	var opt hosts.Options
	for _, n := range cfg.HomeNets {
		p, err := netip.ParsePrefix(n)
		if err != nil {
			return opt, fmt.Errorf("home_nets: %w", err)
		}
		opt.HomeNets = append(opt.HomeNets, p)
	}
	for _, s := range cfg.ApprovedProxies {
		a, port, err := config.ParseHostPort(s)
		if err != nil {
			return opt, fmt.Errorf("approved_proxies: %w", err)
		}
		opt.Approved = append(opt.Approved, hosts.ApprovedProxy{Addr: a, Port: int(port)})
	}
	return opt, nil
}

// loadHosts opens the host table from its snapshot (if any).
func loadHosts(cfg *config.Config) (*hostStage, error) {
	opt, err := hostsOptions(cfg)
	if err != nil {
		return nil, err
	}
	h := &hostStage{T: hosts.New(opt), path: hostsSnapPath(cfg)}
	f, err := os.Open(h.path)
	if errors.Is(err, os.ErrNotExist) {
		return h, nil
	}
	if err != nil {
		return nil, err
	}
	defer f.Close()
	if h.seq, err = h.T.Load(f); err != nil {
		return nil, fmt.Errorf("host insights state %s: %w (rebuild it with 'nethunt hosts rebuild')", h.path, err)
	}
	return h, nil
}

func (h *hostStage) Process(batch []*event.Event) []*event.Event {
	h.T.ObserveBatch(batch)
	return nil
}

// SaveRows writes the query rows of the last snapshot (hosts.rows), which
// let a cold `nethunt hosts QUERY` answer without rebuilding every
// profile. It is written when the owner of the store stops (the end of an
// ingest or a serve, and by hosts rebuild), not at every periodic
// snapshot: while an owner runs, it answers queries itself.
func (h *hostStage) SaveRows() error {
	if err := atomicfile.Write(rowsPath(h.path), func(w io.Writer) error { return h.T.SaveRows(w, h.seq) }); err != nil {
		return fmt.Errorf("host query rows: %w", err)
	}
	return nil
}

// saveRows writes the query columns of a pipeline's host stage after its
// run: for cold `nethunt hosts` queries once this owner of the store is gone.
func saveRows(p *ingest.Pipeline) error {
	for _, s := range p.Stages {
		if h, ok := s.(*hostStage); ok {
			return h.SaveRows()
		}
	}
	return nil
}

func rowsPath(snap string) string { return strings.TrimSuffix(snap, ".snap") + ".rows" }

func (h *hostStage) Snapshot(seq int64) error {
	if err := atomicfile.Write(h.path, func(w io.Writer) error { return h.T.Save(w, seq) }); err != nil {
		return fmt.Errorf("host insights snapshot: %w", err)
	}
	h.seq = seq
	return nil
}

// currentHosts returns the host table as of the store's last batch: the
// snapshot plus a replay of what was stored after it (read-only: the
// snapshot file is not rewritten).
func currentHosts(ctx context.Context, e *env, st store.Store) (*hosts.Table, error) {
	if e.live != nil && e.live.hosts != nil {
		return e.live.hosts, nil // the owner's table is current by construction
	}
	h, err := loadHosts(e.cfg)
	if err != nil {
		return nil, err
	}
	if err := replay(ctx, e.cfg, nil, st, []catchUp{{h, h.seq}}, io.Discard); err != nil {
		return nil, err
	}
	return h.T, nil
}

// snapshotHosts returns the table from its snapshot alone when the store's
// sequence marker proves it current, sparing the database open.
func snapshotHosts(cfg *config.Config) (*hosts.Table, bool) {
	committed, ok := duckdb.PeekSeq(cfg.Store.Path)
	if !ok {
		return nil, false
	}
	h, err := loadHosts(cfg)
	if err != nil || h.seq != committed {
		return nil, false
	}
	return h.T, true
}

// snapshotCard answers a host lookup from the Host Insights snapshot alone,
// reading its index and one record, when the store's sequence marker
// proves the snapshot current (duckdb.PeekSeq): no database to open, so a
// cold `nethunt host IP` costs a few milliseconds at any number of hosts.
// current is false when that cannot be proved (no snapshot yet, an ingest
// stopped by a crash, a damaged file): the caller then takes the long way.
func snapshotCard(cfg *config.Config, ip netip.Addr) (card hosts.Card, found, current bool) {
	committed, ok := duckdb.PeekSeq(cfg.Store.Path)
	if !ok {
		return card, false, false
	}
	opt, err := hostsOptions(cfg)
	if err != nil {
		return card, false, false
	}
	t := hosts.New(opt)
	var seq int64
	err = readSized(hostsSnapPath(cfg), func(r io.ReaderAt, size int64) (err error) {
		seq, found, err = t.LoadHost(r, size, ip)
		return err
	})
	if err != nil || seq != committed {
		return card, false, false
	}
	if !found {
		return card, false, true
	}
	card, found = t.Get(ip)
	return card, found, true
}

// queryRows answers a host query from the query columns alone when the
// store's marker proves them current: the columns select the hosts and
// hold their summaries, so no profile is read. ok is false when that
// cannot be done (no columns, stale or damaged files); the caller then
// loads the profiles.
func queryRows(cfg *config.Config, text string, limit int) (out []hosts.Summary, profiled int, ok bool) {
	committed, ok := duckdb.PeekSeq(cfg.Store.Path)
	if !ok {
		return nil, 0, false
	}
	e, err := hosts.Parse(text)
	if err != nil {
		return nil, 0, false
	}
	m, err := match.Compile(e)
	if err != nil {
		return nil, 0, false
	}
	stale := errors.New("stale")
	err = readSized(rowsPath(hostsSnapPath(cfg)), func(r io.ReaderAt, size int64) error {
		rs, err := hosts.ReadRows(r, size)
		if err != nil {
			return err
		}
		if rs.Seq != committed {
			return stale
		}
		profiled = rs.Hosts
		out, err = rs.Query(m, limit)
		return err
	})
	return out, profiled, err == nil
}

func hostsSnapPath(cfg *config.Config) string { return filepath.Join(stateDir(cfg), "hosts.snap") }

// readSized opens path and hands it to read with its size, for the state
// files read in place (snapshot index, query columns).
func readSized(path string, read func(r io.ReaderAt, size int64) error) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return err
	}
	return read(f, fi.Size())
}

// printState tells an operator where the derived state stands against the
// store's committed batch: which snapshots are current (so cold host
// lookups answer from them) and who owns the store.
func printState(e *env, committed int64) {
	dir := stateDir(e.cfg)
	fmt.Fprintf(e.stdout, "\nderived state (committed batch %d):\n", committed)
	status := func(seq int64, err error) string {
		switch {
		case errors.Is(err, os.ErrNotExist):
			return "none yet"
		case err != nil:
			return "unusable (" + err.Error() + "); rewritten when the store's owner next stops, or by 'nethunt hosts rebuild'"
		case seq == committed:
			return fmt.Sprintf("batch %d, current", seq)
		default:
			return fmt.Sprintf("batch %d, %d behind (caught up by the next ingest or serve)", seq, committed-seq)
		}
	}
	hostLine := func() string {
		var seq int64
		var n int
		err := readSized(hostsSnapPath(e.cfg), func(r io.ReaderAt, size int64) (err error) {
			seq, n, err = hosts.SnapshotInfo(r, size)
			return err
		})
		if err != nil {
			return status(0, err)
		}
		return fmt.Sprintf("%s; %d hosts", status(seq, nil), n)
	}
	rowsLine := func() string {
		var seq int64
		err := readSized(rowsPath(hostsSnapPath(e.cfg)), func(r io.ReaderAt, size int64) error {
			rs, err := hosts.ReadRows(r, size)
			if err == nil {
				seq = rs.Seq
			}
			return err
		})
		return status(seq, err)
	}
	sseq, serr := sightings.SnapshotSeq(filepath.Join(dir, "sightings.snap"))
	dseq, derr := detect.SnapshotSeq(filepath.Join(dir, "detect.snap"))
	t := tabwriter.NewWriter(e.stdout, 2, 4, 2, ' ', 0)
	fmt.Fprintf(t, "  host insights\t%s\n", hostLine())
	fmt.Fprintf(t, "  host query columns\t%s\n", rowsLine())
	fmt.Fprintf(t, "  sightings\t%s\n", status(sseq, serr))
	fmt.Fprintf(t, "  detections\t%s\n", status(dseq, derr))
	if e.live != nil {
		fmt.Fprintf(t, "  owner\tprocess %d, answering on %s; its state in memory is current\n", os.Getpid(), socketPath(e.cfg))
	} else {
		fmt.Fprintf(t, "  owner\tnone (cold host lookups read the current files above, else the store)\n")
	}
	t.Flush()
}
