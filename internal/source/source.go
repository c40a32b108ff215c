// Package source is where Suricata EVE lines come from: plain or gzip files
// (ReadFiles), a live, rotating eve.json (Follow) and Suricata's
// `filetype: unix_stream` output (ListenUnix).
//
// Sensor data is attacker-controlled, so bad input is normal input: nothing
// in this package panics on content, problems (over-long lines, damaged
// gzip, unreadable files, incomplete lines) are reported to
// Handler.Problem with the source, line and offset, and ingestion goes on.
// Only a Handler error or the end of the context stops a source.
//
// # Lines
//
// A line is everything up to a '\n'. The '\n' and one '\r' before it are
// removed. Lines that are empty or hold only white space (space, \t, \r,
// \v, \f) are skipped silently but still counted, so Record.Line is always
// the physical line number in the (uncompressed) stream. Bytes are passed
// through untouched: invalid UTF-8 or NULs reach the handler as they are.
// A line longer than MaxLineBytes (counting the bytes before '\n',
// including a '\r') is read through to its newline without being kept in
// memory, reported as a Problem wrapping ErrLineTooLong, and counted.
//
// # Offsets and resuming
//
// Record.Offset is the byte offset just after the record's newline in the
// uncompressed stream: the point to resume from once the record is safely
// stored. EndOfFile reports the offset of the end of a fully consumed file
// instance, so callers can checkpoint past trailing lines that were
// rejected. Options.Resume maps a file instance (path + FileID) to such an
// offset. Line numbers stay absolute after a resume: the skipped prefix is
// scanned for newlines (bytes.Count over large blocks, or decompression for
// gzip) unless Options.NoRecount is set, in which case plain files are
// entered with a Seek and Line counts from the resume point (the first line
// after Offset X is Line 1). A resume offset that does not fall on a line
// boundary (the byte before it is not '\n') is reported as a Problem
// wrapping ErrBadResume and reading starts at the next line; an offset
// beyond the end of the file is reported the same way and the file is read
// from the start (it was truncated or replaced).
package source

import (
	"errors"
	"fmt"
	"io"
	"os"
	"time"
)

// Record is one line without its trailing newline (and without \r).
// Data is only valid during the callback (buffers are reused); callers copy
// what they keep.
type Record struct {
	Data   []byte
	Source string // path, "-" for stdin, or socket path
	Line   int64  // 1-based line number within this file instance (or connection)
	Offset int64  // byte offset just AFTER this line's newline (resume point), in the uncompressed stream
	FileID FileID // identity of the file instance (zero for stdin/socket)
}

// FileID identifies a file instance across renames and restarts.
//
// Head guards against inode reuse. It is a 64-bit FNV-1a hash of the first
// line of the file including its '\n' if that newline lies within the first
// 1024 bytes, otherwise of the first 1024 bytes (always the first 1024 raw
// bytes for gzip files). Because of that rule Head does not change while a
// file only grows, once it holds a complete first line (or 1024 bytes),
// which is always the case by the time a record has been read from it. Head
// is 0 for an empty file and for anything that is not a regular file.
type FileID struct {
	Dev, Ino uint64
	Head     uint64 // hash of first up to 1024 bytes, guards inode reuse
}

// IsZero reports whether id is the zero FileID (stdin, sockets).
func (id FileID) IsZero() bool { return id == FileID{} }

// Problem describes input that could not be turned into records. Problems
// never stop ingestion.
type Problem struct {
	Source string
	Line   int64 // 1-based line the problem is about; 0 when it concerns the whole file (open errors)
	Offset int64 // resume point after the problem (for a skipped line: just after its newline)
	Err    error
	Sample []byte // first (up to) 256 bytes of the offending line; owned by the receiver
}

// String formats the problem as "source:line: error".
func (p Problem) String() string {
	if p.Line > 0 {
		return fmt.Sprintf("%s:%d: %v", p.Source, p.Line, p.Err)
	}
	return fmt.Sprintf("%s: %v", p.Source, p.Err)
}

// Handler receives records in order. Returning an error stops the source.
//
// ReadFiles and Follow call the handler from the calling goroutine.
// ListenUnix serialises calls from its connections, so a Handler never has
// to be safe for concurrent use.
type Handler interface {
	Record(Record) error
	Problem(Problem) // oversized line, truncated gzip, read error, etc.
	// EndOfFile says a file (instance) was fully consumed: offset is the end
	// of its (uncompressed) stream. It lets callers checkpoint even if the
	// last lines were rejected. It is not called for stdin, sockets, or a
	// file whose reading failed (damaged gzip, read error).
	EndOfFile(src string, id FileID, offset int64)
}

// Options apply to every source.
type Options struct {
	// MaxLineBytes is the longest line accepted (default 4 MiB). Longer
	// lines are skipped without being buffered whole, reported as a Problem
	// with their line number, and counting continues. It also bounds the
	// read buffer, so memory per source is about MaxLineBytes at most.
	MaxLineBytes int
	// Resume returns the offset to start from for this file instance
	// (0 = from start); may be nil. It is consulted for regular files only:
	// every file of ReadFiles, and the first file Follow opens.
	Resume func(path string, id FileID) int64
	// NoRecount makes a resume on a plain file Seek straight to the offset
	// instead of scanning the prefix for newlines. Line is then relative to
	// the resume point ("line N after offset X"). Gzip streams are always
	// decompressed through the prefix and so always count exactly.
	NoRecount bool
}

// FollowOptions configure Follow.
type FollowOptions struct {
	Options
	Poll time.Duration // default 250ms
}

// Defaults.
const (
	DefaultMaxLineBytes = 4 << 20
	DefaultPoll         = 250 * time.Millisecond

	sampleBytes = 256
	headBytes   = 1024
	readBufSize = 256 << 10
)

// Errors wrapped by Problem.Err and by returned errors, for errors.Is.
var (
	// ErrNoMatch: a ReadFiles pattern matched no file.
	ErrNoMatch = errors.New("pattern matches no file")
	// ErrLineTooLong: a line exceeded MaxLineBytes and was skipped.
	ErrLineTooLong = errors.New("line exceeds MaxLineBytes")
	// ErrIncompleteLine: a stream ended in the middle of a line that can no
	// longer be completed (socket closed, followed file rotated, truncated
	// or deleted). The fragment is dropped (see Problem.Sample).
	ErrIncompleteLine = errors.New("incomplete last line dropped")
	// ErrBadResume: the resume offset does not fit this file instance.
	ErrBadResume = errors.New("resume offset does not fit the file")
	// ErrDamaged: a read failed mid-stream (truncated or corrupt gzip, I/O
	// error); the rest of that file is skipped.
	ErrDamaged = errors.New("stream damaged")
)

func (o Options) withDefaults() Options {
	if o.MaxLineBytes <= 0 {
		o.MaxLineBytes = DefaultMaxLineBytes
	}
	return o
}

// Identify returns the identity of an open file without moving its read
// offset (the head is read with ReadAt).
func Identify(f *os.File) (FileID, error) {
	id, _, _, err := identify(f)
	return id, err
}

// identify returns the FileID of f, whether its Head can no longer change
// while the file only grows, and whether the file starts with the gzip
// magic bytes.
func identify(f *os.File) (id FileID, stable, gz bool, err error) {
	fi, err := f.Stat()
	if err != nil {
		return id, false, false, err
	}
	id.Dev, id.Ino = devIno(fi)
	if !fi.Mode().IsRegular() {
		return id, true, false, nil
	}
	var buf [headBytes]byte
	n, err := f.ReadAt(buf[:], 0)
	if err != nil && n < len(buf) && !errors.Is(err, io.EOF) {
		return id, false, false, err
	}
	id.Head, stable, gz = headHash(buf[:n])
	return id, stable, gz, nil
}

// headHash applies the FileID.Head rule to the first (up to) 1024 bytes.
func headHash(b []byte) (h uint64, stable, gz bool) {
	if len(b) == 0 {
		return 0, false, false
	}
	gz = len(b) >= 2 && b[0] == 0x1f && b[1] == 0x8b
	stable = len(b) == headBytes
	if !gz {
		for i, c := range b {
			if c == '\n' {
				b, stable = b[:i+1], true
				break
			}
		}
	}
	return fnv64a(b), stable, gz
}

func fnv64a(b []byte) uint64 {
	h := uint64(14695981039346656037)
	for _, c := range b {
		h ^= uint64(c)
		h *= 1099511628211
	}
	return h
}
