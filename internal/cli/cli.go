// Package cli implements nethunt's subcommands. Each command lives in its own
// file; this one dispatches and holds what they share (config, store
// opening, time windows, help).
package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"sort"
	"strings"
	"syscall"
	"time"

	"github.com/nethunt/nethunt/internal/config"
)

// Version is set at build time with -ldflags "-X .../cli.Version=...".
var Version = "dev"

// env is what every command gets: streams and the loaded configuration.
type env struct {
	stdin          io.Reader
	stdout, stderr io.Writer
	cfg            *config.Config
	cfgPath        string
	// live is set when the command runs inside the process that owns the
	// store (answering a client over its socket): the command then uses
	// that process's open store and in-memory Host Insights.
	live *live
}

type command struct {
	name, args, short, long string
	run                     func(ctx context.Context, e *env, fs *flag.FlagSet, args []string) error
	flags                   func(fs *flag.FlagSet)
	// remote reports whether an invocation (its positional arguments) only
	// reads the store, so that a process owning the store may answer it
	// (see remote.go). Nil: never forwarded.
	remote func(args []string) bool
}

// commands maps a name to its constructor. Each invocation builds its
// command afresh, so the variables its flags are bound to belong to that
// invocation: the store's owner runs several clients' commands at once.
var commands = map[string]func() *command{}

// lookup returns a fresh instance of the named command, or nil.
func lookup(name string) *command {
	if mk := commands[name]; mk != nil {
		return mk()
	}
	return nil
}

func register(mk func() *command) { commands[mk().name] = mk }

// usageError makes Main print the command's usage after the message.
type usageError struct{ msg string }

func (u usageError) Error() string { return u.msg }

const overview = `nethunt: network threat hunting on Suricata EVE data.

Usage:
  nethunt [global flags] <command> [flags] [arguments]

Global flags:
  --config FILE   YAML configuration (default: ./nethunt.yaml if present)
  --db PATH       database file (overrides store.path; default nethunt.db)

Commands:
`

func usage(w io.Writer) {
	fmt.Fprint(w, overview)
	var names []string
	for n := range commands {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		fmt.Fprintf(w, "  %-10s %s\n", n, lookup(n).short)
	}
	fmt.Fprint(w, "\nRun 'nethunt <command> --help' for a command's flags and examples.\n")
}

// Main runs nethunt with args (without the program name) and returns the
// process exit code: 0 ok, 1 failure, 2 usage error.
func Main(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	g := flag.NewFlagSet("nethunt", flag.ContinueOnError)
	g.SetOutput(io.Discard)
	var gl globals
	gl.flags(g)
	help := g.Bool("help", false, "")
	g.BoolVar(help, "h", false, "")
	if err := g.Parse(args); err != nil {
		fmt.Fprintf(stderr, "nethunt: %v\n\n", err)
		usage(stderr)
		return 2
	}
	rest := g.Args()
	if *help || len(rest) == 0 || rest[0] == "help" {
		if len(rest) > 1 && commands[rest[1]] != nil {
			commandUsage(stdout, lookup(rest[1]))
			return 0
		}
		usage(stdout)
		if len(rest) == 0 && !*help {
			return 2
		}
		return 0
	}
	c := lookup(rest[0])
	if c == nil {
		fmt.Fprintf(stderr, "nethunt: unknown command %q\n\n", rest[0])
		usage(stderr)
		return 2
	}
	fs, code := parseCommand(c, rest[1:], &gl, stdout, stderr)
	if fs == nil {
		return code
	}
	cfg, path, err := loadConfig(gl.config)
	if err != nil {
		fmt.Fprintf(stderr, "nethunt: %v\n", err)
		return 1
	}
	if gl.db != "" {
		cfg.Store.Path = gl.db
		cfg.Ingest.Rejects = gl.db + ".rejects.jsonl"
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	// A running nethunt process that owns the store answers read-only
	// commands itself (from memory, and while it keeps ingesting); this
	// process is then only a client of its socket.
	if c.remote != nil && c.remote(fs.Args()) {
		if code, ok := runRemote(ctx, socketPath(cfg), rest, stdout, stderr); ok {
			return code
		}
	}
	e := &env{stdin: stdin, stdout: stdout, stderr: stderr, cfg: cfg, cfgPath: path}
	return runCommand(ctx, c, e, fs)
}

// globals are the flags every command accepts, before or after its name.
type globals struct{ config, db string }

func (g *globals) flags(fs *flag.FlagSet) {
	fs.StringVar(&g.config, "config", g.config, "YAML configuration (default: ./nethunt.yaml if present)")
	fs.StringVar(&g.db, "db", g.db, "database file (overrides store.path)")
}

// parseCommand parses a command's flags (and the global ones, which
// analysts also type after the command). A nil FlagSet means the caller
// returns code: 0 after --help, 2 after a usage error.
func parseCommand(c *command, args []string, gl *globals, stdout, stderr io.Writer) (*flag.FlagSet, int) {
	fs := flag.NewFlagSet("nethunt "+c.name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	if c.flags != nil {
		c.flags(fs)
	}
	if fs.Lookup("config") == nil && fs.Lookup("db") == nil {
		gl.flags(fs)
	}
	if err := fs.Parse(interleave(fs, args)); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			commandUsage(stdout, c)
			return nil, 0
		}
		fmt.Fprintf(stderr, "nethunt %s: %v\n\n", c.name, err)
		commandUsage(stderr, c)
		return nil, 2
	}
	return fs, 0
}

// runCommand runs a parsed command and maps its error to an exit code.
func runCommand(ctx context.Context, c *command, e *env, fs *flag.FlagSet) int {
	if err := c.run(ctx, e, fs, fs.Args()); err != nil {
		var ue usageError
		if errors.As(err, &ue) {
			fmt.Fprintf(e.stderr, "nethunt %s: %s\n\n", c.name, ue.msg)
			commandUsage(e.stderr, c)
			return 2
		}
		fmt.Fprintf(e.stderr, "nethunt %s: %v\n", c.name, err)
		return 1
	}
	return 0
}

// interleave lets flags follow positional arguments (`nethunt hunt 'q' --since 1h`),
// which is how analysts edit command lines.
func interleave(fs *flag.FlagSet, args []string) []string {
	var flags, pos []string
	for i := 0; i < len(args); i++ {
		a := args[i]
		if a == "--" {
			pos = append(pos, args[i+1:]...)
			break
		}
		if len(a) > 1 && a[0] == '-' && a != "-" {
			flags = append(flags, a)
			name := strings.TrimLeft(a, "-")
			if strings.Contains(name, "=") {
				continue
			}
			if f := fs.Lookup(name); f != nil {
				if bf, ok := f.Value.(interface{ IsBoolFlag() bool }); ok && bf.IsBoolFlag() {
					continue
				}
				if i+1 < len(args) {
					flags = append(flags, args[i+1])
					i++
				}
			}
			continue
		}
		pos = append(pos, a)
	}
	return append(append(flags, "--"), pos...)
}

func commandUsage(w io.Writer, c *command) {
	fmt.Fprintf(w, "Usage: nethunt %s %s\n\n%s\n", c.name, c.args, c.short)
	if c.long != "" {
		fmt.Fprintf(w, "\n%s\n", strings.TrimSpace(c.long))
	}
	fs := flag.NewFlagSet(c.name, flag.ContinueOnError)
	if c.flags != nil {
		c.flags(fs)
	}
	n := 0
	fs.VisitAll(func(*flag.Flag) { n++ })
	if n > 0 {
		fmt.Fprint(w, "\nFlags:\n")
		fs.SetOutput(w)
		fs.PrintDefaults()
	}
	fmt.Fprint(w, "\nGlobal flags (before or after the command): --config FILE, --db PATH.\n")
}

func loadConfig(path string) (*config.Config, string, error) {
	if path == "" {
		if _, err := os.Stat("nethunt.yaml"); err == nil {
			path = "nethunt.yaml"
		}
	}
	if path == "" {
		return config.Default(), "", nil
	}
	c, err := config.Load(path)
	return c, path, err
}

// window is the --since/--from/--to trio shared by hunting commands.
type window struct {
	since, from, to string
	// Host Insights filters: events whose source / destination host
	// profile matches a host.* query (the pivot from a hosts view back to
	// events, without typing addresses).
	srcHosts, destHosts string
}

func (w *window) flags(fs *flag.FlagSet) {
	fs.StringVar(&w.srcHosts, "src-hosts", "", "only events whose source host matches this host.* query (e.g. 'host.groups:Users')")
	fs.StringVar(&w.destHosts, "dest-hosts", "", "only events whose destination host matches this host.* query (e.g. 'host.roles:\"http proxy\" AND NOT host.approved:true')")
	fs.StringVar(&w.since, "since", "", "only events newer than this (e.g. 30m, 48h, 7d); default: all")
	fs.StringVar(&w.from, "from", "", "window start (RFC 3339, e.g. 2026-11-20T08:00:00Z, or a date)")
	fs.StringVar(&w.to, "to", "", "window end (RFC 3339 or a date)")
}

func (w *window) resolve(now time.Time) (from, to time.Time, err error) {
	if w.since != "" {
		if w.from != "" {
			return from, to, usageError{"--since and --from are exclusive"}
		}
		d, err := config.ParseDuration(w.since)
		if err != nil {
			return from, to, usageError{err.Error()}
		}
		from = now.Add(-d)
	}
	parse := func(s, name string) (time.Time, error) {
		for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05", "2006-01-02 15:04:05", "2006-01-02"} {
			if t, err := time.Parse(layout, s); err == nil {
				return t.UTC(), nil
			}
		}
		return time.Time{}, usageError{fmt.Sprintf("--%s %q: use RFC 3339 (2026-11-20T08:00:00Z) or a date (2026-11-20)", name, s)}
	}
	if w.from != "" {
		if from, err = parse(w.from, "from"); err != nil {
			return
		}
	}
	if w.to != "" {
		if to, err = parse(w.to, "to"); err != nil {
			return
		}
	}
	if !from.IsZero() && !to.IsZero() && to.Before(from) {
		return from, to, usageError{"--to is before --from"}
	}
	return from, to, nil
}
