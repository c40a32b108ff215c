package cli

import (
	"context"
	"flag"
	"fmt"
	"github.com/nethunt/nethunt/internal/human"
	"io"
	"os"
	"sync"
	"time"

	"golang.org/x/term"

	"github.com/nethunt/nethunt/internal/ingest"
	"github.com/nethunt/nethunt/internal/source"
)

func init() {
	register(func() *command {
		var follow bool
		var socket string
		var quiet bool
		return &command{
			name: "ingest", args: "[--follow] FILE... | - | --socket PATH",
			short: "Read EVE JSON (files, .gz, globs, stdin, live file, Unix socket) into the store",
			long: `Every line is stored or rejected: rejected lines are counted, reported with
file and line number, and kept aside in the rejects file (store path +
".rejects.jsonl") with the reason. Read offsets are checkpointed with each
stored batch, so re-running the same command (or restarting --follow after a
crash) resumes exactly where it stopped, without losing or duplicating events.

Examples:
  nethunt ingest /var/log/suricata/eve.json.1.gz 'archive/*.json'
  zcat eve.json.gz | nethunt ingest -
  nethunt ingest --follow /var/log/suricata/eve.json
  nethunt ingest --socket /run/nethunt/eve.sock   # Suricata filetype: unix_stream`,
			flags: func(fs *flag.FlagSet) {
				fs.BoolVar(&follow, "follow", false, "follow one live file like tail -F (survives rotation and truncation)")
				fs.StringVar(&socket, "socket", "", "listen on this Unix socket for Suricata's unix_stream output")
				fs.BoolVar(&quiet, "quiet", false, "no progress display")
			},
			run: func(ctx context.Context, e *env, fs *flag.FlagSet, args []string) error {
				return runIngest(ctx, e, args, ingestOptions{follow: follow, socket: socket, quiet: quiet})
			},
		}
	})
}

// ingestOptions are the ingest flags; serve adds idle.
type ingestOptions struct {
	follow, quiet bool
	socket        string
	// idle: no input is required; the process owns the store and answers
	// queries until it is stopped (nethunt serve).
	idle bool
}

// runIngest owns the store for the duration of an ingest: it reads the
// sources through the pipeline and, meanwhile, answers read-only commands
// from other nethunt processes on the store's socket.
func runIngest(ctx context.Context, e *env, args []string, o ingestOptions) error {
	follow, socket, quiet := o.follow, o.socket, o.quiet
	var read func(ctx context.Context, h source.Handler) error
	switch {
	case socket != "":
		if len(args) > 0 || follow {
			return usageError{"--socket takes no files and no --follow"}
		}
		read = func(ctx context.Context, h source.Handler) error {
			return source.ListenUnix(ctx, socket, source.Options{MaxLineBytes: e.cfg.Ingest.MaxLineBytes}, h)
		}
	case follow:
		if len(args) != 1 || args[0] == "-" {
			return usageError{"--follow takes exactly one file"}
		}
	case len(args) == 0 && o.idle:
		read = func(ctx context.Context, h source.Handler) error {
			<-ctx.Done()
			return nil
		}
	case len(args) == 0:
		return usageError{"name files to ingest, or - for standard input"}
	}
	st, err := openStore(e, false)
	if err != nil {
		return err
	}
	defer st.Close()
	if keep := time.Duration(e.cfg.Store.Retention); keep > 0 {
		// Apply retention now and, for long-running ingests, hourly.
		retain := func() {
			if n, err := st.Retain(ctx, time.Now().Add(-keep)); err != nil {
				fmt.Fprintf(e.stderr, "retention: %v\n", err)
			} else if n > 0 {
				fmt.Fprintf(e.stderr, "retention: deleted %d events older than %s\n", n, keep)
			}
		}
		retain()
		go func() {
			tick := time.NewTicker(time.Hour)
			defer tick.Stop()
			for {
				select {
				case <-ctx.Done():
					return
				case <-tick.C:
					retain()
				}
			}
		}()
	}
	p, err := newPipeline(ctx, e.cfg, st, e.stderr)
	if err != nil {
		return err
	}
	l := &live{st: st}
	for _, s := range p.Stages {
		if h, ok := s.(*hostStage); ok {
			l.hosts = h.T
		}
	}
	if srv, err := serveSocket(ctx, socketPath(e.cfg), e, l); err != nil {
		fmt.Fprintf(e.stderr, "not answering queries from other nethunt processes: %v\n", err)
	} else {
		defer srv.Close()
		if o.idle || follow || socket != "" {
			fmt.Fprintf(e.stderr, "answering nethunt queries on %s (pid %d)\n", srv.path, os.Getpid())
		}
	}
	rej, err := os.OpenFile(e.cfg.Ingest.Rejects, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
	if err != nil {
		return fmt.Errorf("rejects file: %w", err)
	}
	defer rej.Close()
	p.Rejects = rej
	var shown int
	var mu sync.Mutex
	clear := "" // erase the progress line first, on a terminal
	if f, ok := e.stderr.(*os.File); ok && !quiet && term.IsTerminal(int(f.Fd())) {
		clear = "\r\033[K"
	}
	p.OnReject = func(r ingest.Reject) {
		mu.Lock()
		defer mu.Unlock()
		if shown < 10 {
			fmt.Fprintf(e.stderr, "%s%s:%d: rejected: %s %s\n", clear, r.Source, r.Line, r.Reason, r.Detail)
		} else if shown == 10 {
			fmt.Fprintf(e.stderr, "%s(further rejects only counted; all are in %s)\n", clear, e.cfg.Ingest.Rejects)
		}
		shown++
	}
	opt := source.Options{MaxLineBytes: e.cfg.Ingest.MaxLineBytes, Resume: p.Resume(ctx)}
	if read == nil && follow {
		read = func(ctx context.Context, h source.Handler) error {
			return source.Follow(ctx, args[0], source.FollowOptions{Options: opt}, h)
		}
	} else if read == nil {
		read = func(ctx context.Context, h source.Handler) error {
			return source.ReadFiles(ctx, args, opt, h)
		}
	}
	total := totalSize(args)
	stopProgress := progress(e.stderr, &p.C, total, quiet)
	sum, err := p.Run(ctx, read)
	stopProgress()
	if err == nil {
		err = saveRows(p)
	}
	if !o.idle {
		printSummary(e.stdout, sum, e.cfg.Ingest.Rejects)
	}
	return err
}

func totalSize(args []string) int64 {
	var n int64
	for _, a := range args {
		if fi, err := os.Stat(a); err == nil && fi.Mode().IsRegular() {
			n += fi.Size()
		}
	}
	return n
}

// progress redraws one status line on a terminal; on pipes and in CI it
// stays silent so logs are not flooded.
func progress(w io.Writer, c *ingest.Counters, total int64, quiet bool) func() {
	f, ok := w.(*os.File)
	if quiet || !ok || !term.IsTerminal(int(f.Fd())) {
		return func() {}
	}
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	start := time.Now()
	go func() {
		defer wg.Done()
		t := time.NewTicker(200 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-done:
				fmt.Fprint(w, "\r\033[K")
				return
			case <-t.C:
				el := time.Since(start).Seconds()
				ev := c.Events.Load()
				line := fmt.Sprintf("%s events  %s ev/s  %d rejected", human.Count(float64(ev)), human.Count(float64(ev)/el), c.Rejected.Load())
				if total > 0 {
					pct := 100 * float64(c.Bytes.Load()) / float64(total)
					if pct <= 100 {
						line = fmt.Sprintf("[%-20s] %3.0f%%  %s", bar(pct, 20), pct, line)
					}
				}
				fmt.Fprintf(w, "\r\033[K%s", line)
			}
		}
	}()
	return func() { close(done); wg.Wait() }
}

func bar(pct float64, width int) string {
	n := int(pct / 100 * float64(width))
	b := make([]byte, width)
	for i := range b {
		if i < n {
			b[i] = '='
		} else {
			b[i] = ' '
		}
	}
	return string(b)
}

func printSummary(w io.Writer, s ingest.Summary, rejects string) {
	fmt.Fprintf(w, "ingested %d events from %d lines in %s (%s events/s)", s.Events, s.Lines, s.Elapsed.Round(time.Millisecond), human.Count(s.Rate()))
	if s.Warnings > 0 {
		fmt.Fprintf(w, ", %d with coerced values", s.Warnings)
	}
	if s.Derived > 0 {
		fmt.Fprintf(w, "; %d derived events (sightings, findings) stored with them", s.Derived)
	}
	fmt.Fprintln(w)
	if s.Rejected > 0 {
		fmt.Fprintf(w, "rejected %d lines, kept in %s:\n", s.Rejected, rejects)
		for r, n := range s.ByReason {
			fmt.Fprintf(w, "  %-24s %d\n", r, n)
		}
	}
}
