// Package store defines where events live once ingested. The embedded
// default is DuckDB (store/duckdb); a ClickHouse implementation for scale-out
// will satisfy the same interface, so the pipeline, the CLI and the web UI
// depend only on this package.
//
// Queries arrive as a SQL WHERE fragment with bound arguments, produced by
// query/sqlq from the one query AST: stores never see user text spliced into
// SQL, and both SQL stores share the column layout of package sqlschema.
package store

import (
	"context"
	"errors"
	"time"

	"github.com/nethunt/nethunt/internal/event"
)

// Store is a time-ordered event store. Implementations are safe for
// concurrent use: one appender (the ingest pipeline) runs alongside queries.
type Store interface {
	// Append stores a batch and, in the same atomic step, the read offsets
	// the batch brings its sources to, so that a crash never leaves events
	// stored without their checkpoint (duplicates on restart) or a
	// checkpoint ahead of its events (loss). It returns the batch's
	// sequence number, which state snapshots (hosts, sightings) record so
	// they can be caught up from the store after a restart.
	Append(ctx context.Context, batch []*event.Event, cps []Checkpoint) (seq int64, err error)
	// Checkpoint returns the stored offset for source when the file
	// identity matches, else 0 (a different or rotated file starts over).
	Checkpoint(ctx context.Context, source string, id FileIDKey) (int64, error)

	Count(ctx context.Context, q Query) (int64, error)
	// Search calls fn for each matching event, newest first unless q.Asc,
	// at most q.Limit rows (0 = all). Returning an error from fn stops it.
	Search(ctx context.Context, q Query, fn func(Row) error) error
	// Top returns the n most frequent values of a field among matching
	// events (list fields count each element).
	Top(ctx context.Context, field string, q Query, n int) ([]TopValue, error)
	// Replay calls fn with the events of batches after seq, in order, so
	// derived state can catch up after a restart.
	Replay(ctx context.Context, afterSeq int64, fn func(seq int64, raw string) error) error
	// Seq is the sequence number of the last committed batch.
	Seq() int64
	Stats(ctx context.Context) (Stats, error)
	// Retain deletes events older than the cutoff and reports how many.
	Retain(ctx context.Context, before time.Time) (int64, error)
	Close() error
}

// Query selects events. Where and Args come from sqlq.Where; an empty
// Where matches everything. A zero From or To leaves that side open.
type Query struct {
	Where    string
	Args     []any
	From, To time.Time // [From, To)
	Limit    int
	Fields   []string // registry names to return; empty = defaults
	Raw      bool     // also return the original EVE record
	Asc      bool
}

// Row is one search result. Values holds the requested fields by registry
// name (IPs as strings, lists as []any); absent fields are missing or nil.
type Row struct {
	Time   time.Time
	Values map[string]any
	Raw    string
}

// TopValue is one entry of a top-N result.
type TopValue struct {
	Value string
	Count int64
}

// Stats summarises a store's content.
type Stats struct {
	Total       int64
	ByType      map[string]int64
	First, Last time.Time
	Bytes       int64 // on-disk size when known
	Seq         int64 // last appended batch sequence
}

// Checkpoint records how far a source has been read.
type Checkpoint struct {
	Source string
	ID     FileIDKey
	Offset int64
}

// FileIDKey identifies a file independent of its name (rotation); it has
// the same layout as source.FileID so the two convert directly.
type FileIDKey struct {
	Dev, Ino uint64
	Head     uint64
}

// ErrLocked is returned (wrapped, with the holder's PID when known) when
// another process owns the database.
var ErrLocked = errors.New("database is in use by another process")
