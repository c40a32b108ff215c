// Package duckdb is nethunt's embedded event store.
//
// Events are stored in one table per event type (ev_flow, ev_dns, ...), each
// holding only the registry columns its events have actually carried, plus
// the original EVE line and the batch sequence number; a view named events
// unions them with every registry column (NULL where a table lacks one), so
// queries see one wide table. One wide physical table was measured at 12k
// rows/s: DuckDB pays per cell, NULL or not, and ~190 columns made it 7x
// slower than the ~30 a typical event fills. Rows are appended in time order,
// so DuckDB's per-row-group min/max (zone maps) prune time windows and IP
// ranges without indexes. A batch,
// its source checkpoints and its sequence number commit in one transaction:
// after a crash either all of a batch is stored with its offsets or none.
//
// DuckDB allows one read-write process per file; this package turns the
// lock error into a message naming the holder.
package duckdb

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/duckdb/duckdb-go/v2"

	"github.com/nethunt/nethunt/internal/event"
	"github.com/nethunt/nethunt/internal/fields"
	"github.com/nethunt/nethunt/internal/sqlschema"
	"github.com/nethunt/nethunt/internal/store"
	"github.com/nethunt/nethunt/internal/store/archive"
)

// Options tune an opened store.
type Options struct {
	ReadOnly    bool
	Threads     int    // DuckDB worker threads; 0 = DuckDB's default (cores)
	MemoryLimit string // e.g. "2GB"; empty = DuckDB's default (80% of RAM)
	// KeepRaw stores the original EVE line. It is most of the disk (60-70%)
	// but lets an analyst see every event whole, and lets derived state be
	// rebuilt by replay.
	KeepRaw bool
}

// schemaVersion is bumped when a change needs more than adding columns.
const schemaVersion = 1

const (
	table     = "events"
	colSeq    = "ingest_seq"
	colRawRef = "raw_ref" // archive.Ref of the original line
)

// Store is a DuckDB-backed store.Store.
type Store struct {
	db   *sql.DB
	path string
	opt  Options

	mu      sync.Mutex // serialises Append
	conn    *sql.Conn  // commits batch metadata; runs DDL
	workers []*worker  // append table rows in parallel
	tables  map[string]*evTable
	arc     *archive.Archive // original lines; nil when keep_raw is off
	refs    []archive.Ref
	lines   [][]byte
	seq     int64
	sorted  []*event.Event
	marker  *os.File // path + ".seq": see PeekSeq
}

// evTable is one physical per-event-type table and its column order.
type evTable struct {
	name string
	cols []int        // physical order: index into sqlschema.Columns(), or src* codes
	has  map[int]bool // registry columns present
	rows []int        // this batch's events, as indexes into Store.sorted
}

const (
	tablePrefix = "ev_"
	maxTables   = 64 // beyond this, rare event types share ev_other
	otherTable  = "ev_other"
)

var _ store.Store = (*Store)(nil)

var pidRE = regexp.MustCompile(`PID (\d+)`)

// Open opens (creating if needed, unless read-only) the database at path.
func Open(path string, opt Options) (*Store, error) {
	if path == "" {
		return nil, errors.New("no database path configured (store.path or --db)")
	}
	if opt.ReadOnly {
		if _, err := os.Stat(path); err != nil {
			if errors.Is(err, os.ErrNotExist) {
				return nil, fmt.Errorf("database %s does not exist yet: ingest some events first (nethunt ingest FILE, or nethunt demo)", path)
			}
			return nil, err
		}
	} else if dir := filepath.Dir(path); dir != "" {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return nil, err
		}
	}
	params := url.Values{}
	// Only bundled extensions exist offline; never try to download one.
	params.Set("autoinstall_known_extensions", "false")
	params.Set("autoload_known_extensions", "false")
	if !opt.ReadOnly {
		// DuckDB checkpoints when its WAL passes this size. At the 16MB
		// default a steady ingest spent half its time rewriting row groups
		// (measured: 22k vs 46k events/s); the WAL is replayed on open.
		params.Set("checkpoint_threshold", "1GB")
	}
	if opt.ReadOnly {
		params.Set("access_mode", "READ_ONLY")
	}
	if opt.Threads > 0 {
		params.Set("threads", fmt.Sprint(opt.Threads))
	}
	if opt.MemoryLimit != "" {
		params.Set("memory_limit", opt.MemoryLimit)
	}
	connector, err := duckdb.NewConnector(path+"?"+params.Encode(), nil)
	if err != nil {
		return nil, openError(path, err)
	}
	s := &Store{db: sql.OpenDB(connector), path: path, opt: opt}
	ctx := context.Background()
	if !opt.ReadOnly {
		if err := s.migrate(ctx); err != nil {
			s.db.Close()
			return nil, err
		}
	} else if err := s.checkReadable(ctx); err != nil {
		s.db.Close()
		return nil, err
	}
	if err := s.openArchive(ctx); err != nil {
		s.db.Close()
		return nil, err
	}
	if !opt.ReadOnly {
		m, err := os.OpenFile(path+".seq", os.O_RDWR|os.O_CREATE, 0o644)
		if err == nil {
			s.marker = m
			err = s.mark(s.seq)
		}
		if err != nil {
			s.Close()
			return nil, fmt.Errorf("sequence marker: %w", err)
		}
	}
	return s, nil
}

// The sequence marker (store path + ".seq") lets another process learn,
// without opening the database (which a running owner locks, and which
// costs tens of milliseconds), whether state saved at some batch sequence
// is current: a cold `nethunt host IP` answers from the Host Insights
// snapshot alone when the snapshot's sequence equals the marker. The
// marker is written, and synced, before each batch commits, so it is
// never below the committed sequence; an equal snapshot sequence (never
// above the committed one) therefore proves that nothing was committed
// since. After a failed or interrupted commit the marker is ahead, and
// readers fall back to the database until the next batch or open.
const markerMagic = "NHSEQ001"

func (s *Store) mark(seq int64) error {
	var b [16]byte
	copy(b[:], markerMagic)
	binary.LittleEndian.PutUint64(b[8:], uint64(seq))
	if _, err := s.marker.WriteAt(b[:], 0); err != nil {
		return err
	}
	return s.marker.Sync()
}

// PeekSeq returns the batch sequence the store at path has committed or is
// committing (see mark), without opening it. ok is false when unknown.
func PeekSeq(path string) (seq int64, ok bool) {
	b, err := os.ReadFile(path + ".seq")
	if err != nil || len(b) != 16 || string(b[:8]) != markerMagic {
		return 0, false
	}
	return int64(binary.LittleEndian.Uint64(b[8:])), true
}

func openError(path string, err error) error {
	msg := err.Error()
	if strings.Contains(msg, "Could not set lock") || strings.Contains(msg, "Conflicting lock") {
		holder := "another process"
		if m := pidRE.FindStringSubmatch(msg); m != nil {
			holder = "process " + m[1]
		}
		return fmt.Errorf("%w: %s is held by %s; stop it (or query through it) and retry", store.ErrLocked, path, holder)
	}
	if strings.Contains(msg, "not a valid DuckDB database") || strings.Contains(msg, "Serialization Error") {
		return fmt.Errorf("%s is not a nethunt (DuckDB) database: %v", path, err)
	}
	return fmt.Errorf("open %s: %w", path, err)
}

func (s *Store) checkReadable(ctx context.Context) error {
	var v int
	// The committed sequence too: readers catch derived state up to it.
	if err := s.db.QueryRowContext(ctx, `SELECT version, seq FROM nethunt_meta`).Scan(&v, &s.seq); err != nil {
		return openError(s.path, err)
	}
	if v > schemaVersion {
		return fmt.Errorf("%s was written by a newer nethunt (schema %d > %d)", s.path, v, schemaVersion)
	}
	return nil
}

// migrate creates the schema, and adds columns for registry fields that
// appeared since the file was created: new fields never need a rebuild.
func (s *Store) migrate(ctx context.Context) error {
	stmts := []string{
		`CREATE TABLE IF NOT EXISTS nethunt_meta (version INTEGER, seq BIGINT, raw_seg INTEGER, raw_off BIGINT)`,
		// One row per committed batch: where its raw lines start, for
		// replay and for dropping archive segments at retention.
		`CREATE TABLE IF NOT EXISTS batches (seq BIGINT PRIMARY KEY, raw_seg INTEGER, raw_off BIGINT, events BIGINT, first_ts TIMESTAMP, last_ts TIMESTAMP)`,
		// File identities are stored bit-cast to BIGINT: database/sql refuses
		// uint64 arguments with the high bit set.
		`CREATE TABLE IF NOT EXISTS checkpoints (source VARCHAR PRIMARY KEY, dev BIGINT, ino BIGINT, head BIGINT, "offset" BIGINT, updated TIMESTAMP)`,
	}
	for _, q := range stmts {
		if _, err := s.db.ExecContext(ctx, q); err != nil {
			return openError(s.path, err)
		}
	}
	var v int
	err := s.db.QueryRowContext(ctx, `SELECT version, seq FROM nethunt_meta`).Scan(&v, &s.seq)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		if _, err := s.db.ExecContext(ctx, `INSERT INTO nethunt_meta VALUES (?, 0, 0, 0)`, schemaVersion); err != nil {
			return err
		}
	case err != nil:
		return err
	case v > schemaVersion:
		return fmt.Errorf("%s was written by a newer nethunt (schema %d > %d)", s.path, v, schemaVersion)
	}

	if err := s.loadTables(ctx); err != nil {
		return err
	}
	if err := s.reconcile(ctx, s.seq); err != nil {
		return fmt.Errorf("reconcile interrupted batch: %w", err)
	}
	if len(s.tables) == 0 {
		// The view needs at least one table to select from.
		if _, err := s.createTable(ctx, s.db, otherTable, nil); err != nil {
			return err
		}
	}
	return s.createView(ctx, s.db)
}

type execer interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
}

// commonFields start every table: what nearly every EVE record carries.
// Everything else is added when a table first sees it (DuckDB pays per
// cell, NULL or not, so a table holds only what its events use).
var commonFields = map[string]bool{"timestamp": true, "event_type": true, "src_ip": true, "dest_ip": true,
	"src_port": true, "dest_port": true, "proto": true, "flow_id": true}

func common() []int {
	var out []int
	for i, c := range sqlschema.Columns() {
		if commonFields[c.Field.Name] {
			out = append(out, i)
		}
	}
	return out
}

// createTable creates a per-type table with the common columns plus the
// fields of the given events (its first batch): one CREATE instead of an
// ALTER per column, which made the first seconds of an ingest slow.
func (s *Store) createTable(ctx context.Context, x execer, name string, first []*event.Event) (*evTable, error) {
	t := &evTable{name: name, has: map[int]bool{}}
	var defs []string
	add := func(i int) {
		if t.has[i] {
			return
		}
		c := sqlschema.Columns()[i]
		defs = append(defs, sqlschema.Quote(c.Name)+" "+c.Type)
		t.cols = append(t.cols, i)
		t.has[i] = true
	}
	for _, i := range common() {
		add(i)
	}
	var row []any
	for _, ev := range first {
		row = fields.Row(ev, row)
		for i, c := range sqlschema.Columns() {
			if !t.has[i] && row[c.Field.Index] != nil {
				add(i)
			}
		}
	}
	defs = append(defs, colRawRef+" BIGINT", sqlschema.Quote(sqlschema.ColWarning)+" VARCHAR", colSeq+" BIGINT")
	t.cols = append(t.cols, srcRaw, srcWarning, srcSeq)
	if _, err := x.ExecContext(ctx, `CREATE TABLE `+name+` (`+strings.Join(defs, ", ")+`)`); err != nil {
		return nil, fmt.Errorf("create table %s: %w", name, err)
	}
	s.tables[name] = t
	return t, nil
}

// loadTables reads the per-type tables and their column order.
func (s *Store) loadTables(ctx context.Context) error {
	s.tables = map[string]*evTable{}
	idx := map[string]int{}
	for i, c := range sqlschema.Columns() {
		idx[c.Name] = i
	}
	rows, err := s.db.QueryContext(ctx, `SELECT table_name, column_name FROM information_schema.columns WHERE table_name LIKE 'ev\_%' ESCAPE '\' AND table_schema = 'main' ORDER BY table_name, ordinal_position`)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var tn, cn string
		if err := rows.Scan(&tn, &cn); err != nil {
			return err
		}
		t := s.tables[tn]
		if t == nil {
			t = &evTable{name: tn, has: map[int]bool{}}
			s.tables[tn] = t
		}
		switch cn {
		case colRawRef:
			t.cols = append(t.cols, srcRaw)
		case sqlschema.ColWarning:
			t.cols = append(t.cols, srcWarning)
		case colSeq:
			t.cols = append(t.cols, srcSeq)
		default:
			if i, ok := idx[cn]; ok {
				t.cols = append(t.cols, i)
				t.has[i] = true
			} else {
				t.cols = append(t.cols, srcUnknown)
			}
		}
	}
	return rows.Err()
}

// createView (re)defines the events view over all tables with every
// registry column, typed NULL where a table lacks it. Old columns of fields
// no longer in the registry stay in their tables but leave the view.
func (s *Store) createView(ctx context.Context, x execer) error {
	names := make([]string, 0, len(s.tables))
	for n := range s.tables {
		names = append(names, n)
	}
	slices.Sort(names)
	var parts []string
	for _, n := range names {
		t := s.tables[n]
		var sel []string
		for i, c := range sqlschema.Columns() {
			if t.has[i] {
				sel = append(sel, sqlschema.Quote(c.Name))
			} else {
				sel = append(sel, "CAST(NULL AS "+c.Type+") AS "+sqlschema.Quote(c.Name))
			}
		}
		sel = append(sel, colRawRef, sqlschema.Quote(sqlschema.ColWarning), colSeq)
		parts = append(parts, "SELECT "+strings.Join(sel, ", ")+" FROM "+n)
	}
	_, err := x.ExecContext(ctx, `CREATE OR REPLACE VIEW `+table+` AS `+strings.Join(parts, " UNION ALL "))
	return err
}

// tableFor names the table of an event type: ev_ plus the type when it is
// a plain identifier, else (and past maxTables) ev_other. event_type is
// attacker-controlled; it never reaches SQL unchecked.
func (s *Store) tableFor(typ string) string {
	if typ == "" || len(typ) > 40 {
		return otherTable
	}
	for _, r := range typ {
		if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '_') {
			return otherTable
		}
	}
	n := tablePrefix + typ
	if s.tables[n] == nil && len(s.tables) >= maxTables {
		return otherTable
	}
	return n
}

func (s *Store) openArchive(ctx context.Context) error {
	var pos archive.Pos
	if err := s.db.QueryRowContext(ctx, `SELECT raw_seg, raw_off FROM nethunt_meta`).Scan(&pos.Seg, &pos.Off); err != nil {
		return err
	}
	dir := s.path + ".raw"
	if s.opt.ReadOnly {
		if _, err := os.Stat(dir); err != nil {
			return nil // written without raw lines
		}
	} else if !s.opt.KeepRaw {
		return nil
	}
	a, err := archive.Open(dir, pos, s.opt.ReadOnly)
	if err != nil {
		return fmt.Errorf("raw archive: %w", err)
	}
	s.arc = a
	return nil
}

// Seq returns the last committed batch sequence number.
func (s *Store) Seq() int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.seq
}

// Codes for physical columns that are not registry fields.
const (
	srcRaw = -1 - iota
	srcWarning
	srcSeq
	srcUnknown
)

// Append implements store.Store.
func (s *Store) Append(ctx context.Context, batch []*event.Event, cps []store.Checkpoint) (int64, error) {
	if s.opt.ReadOnly {
		return 0, errors.New("store opened read-only")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.conn == nil {
		conn, err := s.db.Conn(ctx)
		if err != nil {
			return 0, err
		}
		s.conn = conn
	}
	// Time order within a batch keeps zone maps tight even when several
	// sensors' files interleave.
	s.sorted = append(s.sorted[:0], batch...)
	slices.SortStableFunc(s.sorted, func(a, b *event.Event) int { return a.Time.Compare(b.Time) })
	seq := s.seq + 1
	if s.marker != nil {
		if err := s.mark(seq); err != nil {
			return 0, fmt.Errorf("sequence marker: %w", err)
		}
	}

	// Raw lines go to the archive first; they count as stored only once the
	// transaction below records the archive's new end.
	s.refs = s.refs[:0]
	start := archive.Pos{}
	if s.arc != nil {
		p := s.arc.Pos()
		start = p
		s.lines = s.lines[:0]
		for _, ev := range s.sorted {
			s.lines = append(s.lines, ev.Raw)
		}
		var err error
		if s.refs, err = s.arc.Append(s.lines, s.refs); err != nil {
			return 0, fmt.Errorf("raw archive: %w", err)
		}
	}

	// Route events; new event types get their table outside the batch's
	// transaction (an empty table left by a crash is harmless).
	for _, t := range s.tables {
		t.rows = t.rows[:0]
	}
	viewStale := false
	var fresh map[string][]int
	for i, ev := range s.sorted {
		name := s.tableFor(ev.EventType)
		t := s.tables[name]
		if t == nil {
			if fresh == nil {
				fresh = map[string][]int{}
			}
			fresh[name] = append(fresh[name], i)
			continue
		}
		t.rows = append(t.rows, i)
	}
	for name, rows := range fresh {
		first := make([]*event.Event, len(rows))
		for j, i := range rows {
			first[j] = s.sorted[i]
		}
		t, err := s.createTable(ctx, s.conn, name, first)
		if err != nil {
			return 0, err
		}
		t.rows = rows
		viewStale = true
	}
	for attempt := 0; ; attempt++ {
		if viewStale {
			if err := s.createView(ctx, s.conn); err != nil {
				return 0, err
			}
			viewStale = false
		}
		missing, err := s.appendTx(ctx, seq, start, batch, cps)
		if err != nil {
			return 0, err
		}
		if len(missing) == 0 {
			break
		}
		if attempt > 2 {
			return 0, errors.New("append: table columns keep changing")
		}
		// Some events carry fields their table has no column for yet: add
		// the columns, then redo the batch (it was rolled back).
		for t, cols := range missing {
			if err := s.widen(ctx, t, cols); err != nil {
				return 0, err
			}
		}
		viewStale = true
	}
	s.seq = seq
	return seq, nil
}

// worker appends a share of a batch's tables on its own connection, so
// DuckDB's per-row work (vector fill, WAL serialisation) runs on several
// cores; each worker has its own transaction.
type worker struct {
	conn *sql.Conn
	row  []any
	vals []driver.Value
	out  []driver.Value
	tabs []*evTable
	rows int
	need map[*evTable][]int
	err  error
}

// appendTx appends the routed batch in two phases: every worker appends in
// its own open transaction; only when all succeeded do they commit, and then
// the batch's sequence number, checkpoints and archive end are committed
// last. A crash between those commits leaves rows whose ingest_seq is above
// the committed one; Open deletes them (reconcile), so a batch is stored
// whole or not at all. When a table lacks columns for some events, all
// roll back and the missing columns are reported.
func (s *Store) appendTx(ctx context.Context, seq int64, start archive.Pos, batch []*event.Event, cps []store.Checkpoint) (map[*evTable][]int, error) {
	for len(s.workers) < appendWorkers {
		conn, err := s.db.Conn(ctx)
		if err != nil {
			return nil, err
		}
		s.workers = append(s.workers, &worker{conn: conn})
	}
	// Largest tables first, each to the least loaded worker.
	var tabs []*evTable
	for _, t := range s.tables {
		if len(t.rows) > 0 {
			tabs = append(tabs, t)
		}
	}
	slices.SortFunc(tabs, func(a, b *evTable) int { return len(b.rows) - len(a.rows) })
	for _, w := range s.workers {
		w.tabs, w.rows, w.need, w.err = w.tabs[:0], 0, nil, nil
	}
	for _, t := range tabs {
		w := slices.MinFunc(s.workers, func(a, b *worker) int { return a.rows - b.rows })
		w.tabs = append(w.tabs, t)
		w.rows += len(t.rows)
	}
	var wg sync.WaitGroup
	for _, w := range s.workers {
		if len(w.tabs) == 0 {
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, w.err = w.conn.ExecContext(ctx, `BEGIN TRANSACTION`); w.err != nil {
				return
			}
			for _, t := range w.tabs {
				need, err := s.appendRows(w, t, seq)
				if err != nil {
					w.err = err
					return
				}
				if len(need) > 0 {
					if w.need == nil {
						w.need = map[*evTable][]int{}
					}
					w.need[t] = need
				}
			}
		}()
	}
	wg.Wait()
	missing := map[*evTable][]int{}
	var errs []error
	for _, w := range s.workers {
		errs = append(errs, w.err)
		for t, n := range w.need {
			missing[t] = n
		}
	}
	active := func(fn func(w *worker) error) error {
		var errs []error
		for _, w := range s.workers {
			if len(w.tabs) > 0 {
				errs = append(errs, fn(w))
			}
		}
		return errors.Join(errs...)
	}
	rollbackAll := func() {
		active(func(w *worker) error {
			_, err := w.conn.ExecContext(context.WithoutCancel(ctx), `ROLLBACK`)
			return err
		})
	}
	if err := errors.Join(errs...); err != nil || len(missing) > 0 {
		rollbackAll()
		return missing, err
	}
	if err := active(func(w *worker) error {
		_, err := w.conn.ExecContext(ctx, `COMMIT`)
		return err
	}); err != nil {
		rollbackAll()
		return nil, errors.Join(err, s.reconcile(context.WithoutCancel(ctx), seq-1))
	}

	if _, err := s.conn.ExecContext(ctx, `BEGIN TRANSACTION`); err != nil {
		return nil, errors.Join(err, s.reconcile(context.WithoutCancel(ctx), seq-1))
	}
	rollback := func(err error) (map[*evTable][]int, error) {
		s.conn.ExecContext(context.WithoutCancel(ctx), `ROLLBACK`)
		return nil, errors.Join(err, s.reconcile(context.WithoutCancel(ctx), seq-1))
	}
	now := time.Now().UTC()
	for _, cp := range cps {
		if _, err := s.conn.ExecContext(ctx, `INSERT OR REPLACE INTO checkpoints VALUES (?, ?, ?, ?, ?, ?)`,
			cp.Source, int64(cp.ID.Dev), int64(cp.ID.Ino), int64(cp.ID.Head), cp.Offset, now); err != nil {
			return rollback(err)
		}
	}
	end := archive.Pos{}
	if s.arc != nil {
		end = s.arc.Pos()
	}
	if _, err := s.conn.ExecContext(ctx, `UPDATE nethunt_meta SET seq = ?, raw_seg = ?, raw_off = ?`, seq, end.Seg, end.Off); err != nil {
		return rollback(err)
	}
	if len(s.sorted) > 0 {
		if _, err := s.conn.ExecContext(ctx, `INSERT INTO batches VALUES (?, ?, ?, ?, ?, ?)`, seq, start.Seg, start.Off, int64(len(s.sorted)),
			s.sorted[0].Time.UTC(), s.sorted[len(s.sorted)-1].Time.UTC()); err != nil {
			return rollback(err)
		}
	}
	if _, err := s.conn.ExecContext(ctx, `COMMIT`); err != nil {
		return rollback(err)
	}
	return nil, nil
}

// appendWorkers is the number of parallel appending connections.
const appendWorkers = 2

// reconcile deletes rows of batches after the committed sequence number:
// rows whose batch's final commit never happened.
func (s *Store) reconcile(ctx context.Context, committed int64) error {
	var errs []error
	for n := range s.tables {
		if _, err := s.db.ExecContext(ctx, `DELETE FROM `+n+` WHERE `+colSeq+` > ?`, committed); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// widen adds columns (registry column indexes) to t; an IP field brings
// its text and both halves.
func (s *Store) widen(ctx context.Context, t *evTable, need []int) error {
	for _, i := range need {
		f := sqlschema.Columns()[i].Field
		for j, d := range sqlschema.Columns() {
			if d.Field != f || t.has[j] {
				continue
			}
			if _, err := s.conn.ExecContext(ctx, `ALTER TABLE `+t.name+` ADD COLUMN `+sqlschema.Quote(d.Name)+" "+d.Type); err != nil {
				return fmt.Errorf("add column %s to %s: %w", d.Name, t.name, err)
			}
			t.cols = append(t.cols, j)
			t.has[j] = true
		}
	}
	return nil
}

// appendRows appends t's routed events. It returns the columns some event
// needs that t lacks (the caller rolls back, widens and retries).
func (s *Store) appendRows(w *worker, t *evTable, seq int64) ([]int, error) {
	var need []int
	err := w.conn.Raw(func(dc any) error {
		app, err := duckdb.NewAppenderFromConn(dc.(driver.Conn), "", t.name)
		if err != nil {
			return err
		}
		if cap(w.out) < len(t.cols) {
			w.out = make([]driver.Value, len(t.cols))
		}
		row := w.out[:len(t.cols)]
		for _, ei := range t.rows {
			ev := s.sorted[ei]
			w.row = fields.Row(ev, w.row)
			w.vals = sqlschema.Values(w.row, w.vals)
			if len(w.vals) != len(t.has) {
				for i, v := range w.vals {
					if v != nil && !t.has[i] && !slices.Contains(need, i) {
						need = append(need, i)
					}
				}
				if len(need) > 0 {
					continue
				}
			}
			for i, src := range t.cols {
				switch src {
				case srcRaw:
					if len(s.refs) > ei {
						row[i] = int64(s.refs[ei])
					} else {
						row[i] = nil
					}
				case srcWarning:
					if ev.Warning != "" {
						row[i] = ev.Warning
					} else {
						row[i] = nil
					}
				case srcSeq:
					row[i] = seq
				case srcUnknown:
					row[i] = nil
				default:
					row[i] = w.vals[src]
				}
			}
			if len(need) > 0 {
				continue
			}
			if err := app.AppendRow(row...); err != nil {
				app.Clear()
				app.Close()
				return fmt.Errorf("append event at %s to %s: %w", ev.Time.Format(time.RFC3339Nano), t.name, err)
			}
		}
		if len(need) > 0 {
			app.Clear()
		}
		return app.Close()
	})
	return need, err
}

// Checkpoint implements store.Store.
func (s *Store) Checkpoint(ctx context.Context, source string, id store.FileIDKey) (int64, error) {
	var dev, ino, head, off int64
	err := s.db.QueryRowContext(ctx, `SELECT dev, ino, head, "offset" FROM checkpoints WHERE source = ?`, source).Scan(&dev, &ino, &head, &off)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, nil
	}
	if err != nil {
		return 0, err
	}
	if (store.FileIDKey{Dev: uint64(dev), Ino: uint64(ino), Head: uint64(head)}) != id {
		return 0, nil
	}
	return off, nil
}

// where renders the time window and filter; the filter's args follow the
// window's.
func where(q store.Query) (string, []any) {
	var parts []string
	var args []any
	if !q.From.IsZero() {
		parts = append(parts, `"timestamp" >= ?`)
		args = append(args, q.From.UTC())
	}
	if !q.To.IsZero() {
		parts = append(parts, `"timestamp" < ?`)
		args = append(args, q.To.UTC())
	}
	if q.Where != "" {
		parts = append(parts, "("+q.Where+")")
		args = append(args, q.Args...)
	}
	if len(parts) == 0 {
		return "", nil
	}
	return " WHERE " + strings.Join(parts, " AND "), args
}

// Count implements store.Store.
func (s *Store) Count(ctx context.Context, q store.Query) (int64, error) {
	w, args := where(q)
	var n int64
	err := s.db.QueryRowContext(ctx, `SELECT count(*) FROM `+table+w, args...).Scan(&n)
	return n, queryError(err)
}

// queryError keeps DuckDB internals out of analysts' faces while keeping
// the cause for bug reports.
func queryError(err error) error {
	if err == nil || errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	return fmt.Errorf("store query failed: %w", err)
}

var defaultFields = []string{"timestamp", "event_type", "src_ip", "src_port", "dest_ip", "dest_port", "proto", "app_proto"}

// Search implements store.Store.
func (s *Store) Search(ctx context.Context, q store.Query, fn func(store.Row) error) error {
	names := q.Fields
	if len(names) == 0 {
		names = defaultFields
		q.Raw = true
	}
	sel := []string{sqlschema.Quote("timestamp")}
	var fs []*fields.Field
	for _, n := range names {
		f, ok := fields.Lookup(n)
		if !ok || f.Pseudo() {
			return fmt.Errorf("unknown field %q", n)
		}
		fs = append(fs, f)
		sel = append(sel, sqlschema.Quote(f.Column))
	}
	if q.Raw {
		sel = append(sel, colRawRef)
	}
	w, args := where(q)
	dir := "DESC"
	if q.Asc {
		dir = "ASC"
	}
	stmt := `SELECT ` + strings.Join(sel, ", ") + ` FROM ` + table + w + ` ORDER BY "timestamp" ` + dir
	if q.Limit > 0 {
		stmt += fmt.Sprintf(" LIMIT %d", q.Limit)
	}
	rows, err := s.db.QueryContext(ctx, stmt, args...)
	if err != nil {
		return queryError(err)
	}
	defer rows.Close()
	dest := make([]any, len(sel))
	ptrs := make([]any, len(sel))
	for i := range dest {
		ptrs[i] = &dest[i]
	}
	for rows.Next() {
		if err := rows.Scan(ptrs...); err != nil {
			return queryError(err)
		}
		r := store.Row{Values: make(map[string]any, len(fs))}
		if t, ok := dest[0].(time.Time); ok {
			r.Time = t.UTC()
		}
		for i, f := range fs {
			if dest[i+1] != nil {
				r.Values[f.Name] = dest[i+1]
			}
		}
		if q.Raw {
			r.Raw = s.rawLine(dest[len(dest)-1])
		}
		if err := fn(r); err != nil {
			return err
		}
	}
	return queryError(rows.Err())
}

// Top implements store.Store.
func (s *Store) Top(ctx context.Context, name string, q store.Query, n int) ([]store.TopValue, error) {
	f, ok := fields.Lookup(name)
	if !ok {
		return nil, fmt.Errorf("unknown field %q", name)
	}
	if n <= 0 {
		n = 10
	}
	var expr string
	switch {
	case f.Pseudo():
		var cs []string
		for _, a := range f.Any {
			af, _ := fields.Lookup(a)
			cs = append(cs, "CAST("+sqlschema.Quote(af.Column)+" AS VARCHAR)")
		}
		expr = "unnest([" + strings.Join(cs, ", ") + "])"
	case f.Type.IsList():
		expr = "unnest(" + sqlschema.Quote(f.Column) + ")"
	default:
		expr = sqlschema.Quote(f.Column)
	}
	w, args := where(q)
	stmt := fmt.Sprintf(`SELECT CAST(v AS VARCHAR), count(*) AS n FROM (SELECT %s AS v FROM %s%s) WHERE v IS NOT NULL GROUP BY 1 ORDER BY n DESC, 1 LIMIT %d`, expr, table, w, n)
	rows, err := s.db.QueryContext(ctx, stmt, args...)
	if err != nil {
		return nil, queryError(err)
	}
	defer rows.Close()
	var out []store.TopValue
	for rows.Next() {
		var tv store.TopValue
		if err := rows.Scan(&tv.Value, &tv.Count); err != nil {
			return nil, queryError(err)
		}
		out = append(out, tv)
	}
	return out, queryError(rows.Err())
}

// rawLine fetches an original line by its reference; a missing archive or
// damaged frame yields a JSON note rather than failing the whole hunt.
func (s *Store) rawLine(ref any) string {
	r, ok := ref.(int64)
	if !ok || r == 0 || s.arc == nil {
		return `{"nethunt_note":"original event not kept (store.keep_raw is off)"}`
	}
	line, err := s.arc.Get(archive.Ref(r))
	if err != nil {
		b, _ := json.Marshal(map[string]string{"nethunt_note": "original event unavailable: " + err.Error()})
		return string(b)
	}
	return string(line)
}

// Replay implements store.Store: it reads the archive from the first batch
// after afterSeq, telling each line's batch from the batches table.
func (s *Store) Replay(ctx context.Context, after int64, fn func(int64, string) error) error {
	if s.arc == nil {
		return errors.New("replay needs the original events, but this store was written with store.keep_raw: false")
	}
	type b struct {
		seq, n int64
		pos    archive.Pos
	}
	rows, err := s.db.QueryContext(ctx, `SELECT seq, events, raw_seg, raw_off FROM batches WHERE seq > ? ORDER BY seq`, after)
	if err != nil {
		return queryError(err)
	}
	var bs []b
	for rows.Next() {
		var x b
		if err := rows.Scan(&x.seq, &x.n, &x.pos.Seg, &x.pos.Off); err != nil {
			rows.Close()
			return err
		}
		bs = append(bs, x)
	}
	rows.Close()
	if err := rows.Err(); err != nil || len(bs) == 0 {
		return err
	}
	var end archive.Pos
	if err := s.db.QueryRowContext(ctx, `SELECT raw_seg, raw_off FROM nethunt_meta`).Scan(&end.Seg, &end.Off); err != nil {
		return err
	}
	i, left := 0, bs[0].n
	return s.arc.Scan(bs[0].pos, end, func(line []byte) error {
		for left == 0 && i+1 < len(bs) {
			i++
			left = bs[i].n
		}
		left--
		if err := ctx.Err(); err != nil {
			return err
		}
		return fn(bs[i].seq, string(line))
	})
}

// Stats implements store.Store.
func (s *Store) Stats(ctx context.Context) (store.Stats, error) {
	st := store.Stats{ByType: map[string]int64{}}
	rows, err := s.db.QueryContext(ctx, `SELECT coalesce(event_type, ''), count(*), min("timestamp"), max("timestamp") FROM `+table+` GROUP BY 1`)
	if err != nil {
		return st, queryError(err)
	}
	defer rows.Close()
	for rows.Next() {
		var typ string
		var n int64
		var first, last sql.NullTime
		if err := rows.Scan(&typ, &n, &first, &last); err != nil {
			return st, err
		}
		st.ByType[typ] = n
		st.Total += n
		if first.Valid && (st.First.IsZero() || first.Time.Before(st.First)) {
			st.First = first.Time.UTC()
		}
		if last.Valid && last.Time.After(st.Last) {
			st.Last = last.Time.UTC()
		}
	}
	if err := rows.Err(); err != nil {
		return st, err
	}
	if err := s.db.QueryRowContext(ctx, `SELECT seq FROM nethunt_meta`).Scan(&st.Seq); err != nil {
		return st, err
	}
	if fi, err := os.Stat(s.path); err == nil {
		st.Bytes = fi.Size()
	}
	if s.arc != nil {
		st.Bytes += s.arc.Bytes()
	}
	return st, nil
}

// Retain implements store.Store.
func (s *Store) Retain(ctx context.Context, before time.Time) (int64, error) {
	if s.opt.ReadOnly {
		return 0, errors.New("store opened read-only")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	var total int64
	for n := range s.tables {
		res, err := s.db.ExecContext(ctx, `DELETE FROM `+n+` WHERE "timestamp" < ?`, before.UTC())
		if err != nil {
			return total, err
		}
		k, _ := res.RowsAffected()
		total += k
	}
	if s.arc != nil {
		// Whole archive segments go once no batch still in them is kept.
		var keep sql.NullInt64
		if err := s.db.QueryRowContext(ctx, `SELECT min(raw_seg) FROM batches WHERE last_ts >= ?`, before.UTC()).Scan(&keep); err != nil {
			return total, err
		}
		if keep.Valid {
			if err := s.arc.RemoveBefore(int(keep.Int64)); err != nil {
				return total, err
			}
		}
	}
	if _, err := s.db.ExecContext(ctx, `DELETE FROM batches WHERE last_ts < ?`, before.UTC()); err != nil {
		return total, err
	}
	return total, nil
}

// Close implements store.Store. It checkpoints DuckDB's WAL into the file.
func (s *Store) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	var errs []error
	if s.conn != nil {
		errs = append(errs, s.conn.Close())
		s.conn = nil
	}
	for _, w := range s.workers {
		errs = append(errs, w.conn.Close())
	}
	s.workers = nil
	if !s.opt.ReadOnly {
		if _, err := s.db.Exec(`CHECKPOINT`); err != nil {
			errs = append(errs, err)
		}
	}
	errs = append(errs, s.db.Close())
	if s.arc != nil {
		errs = append(errs, s.arc.Close())
	}
	if s.marker != nil {
		errs = append(errs, s.marker.Close())
		s.marker = nil
	}
	return errors.Join(errs...)
}
