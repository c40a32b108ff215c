package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"github.com/nethunt/nethunt/internal/human"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"sort"
	"strings"
	"syscall"
	"time"

	"github.com/nethunt/nethunt/internal/config"
	"github.com/nethunt/nethunt/internal/decode"
	"github.com/nethunt/nethunt/internal/enrich"
	"github.com/nethunt/nethunt/internal/ingest"
	"github.com/nethunt/nethunt/internal/sim"
	"github.com/nethunt/nethunt/internal/source"
	"github.com/nethunt/nethunt/internal/store"
)

// benchHunts are the fixed hunts `nethunt bench` times. The first is the
// issue's yardstick: a time window, a wildcard, a negation and a CIDR.
var benchHunts = []struct {
	name, kind, q, field string
}{
	{"count: window+wildcard+NOT+CIDR", "count", "event_type:http AND http.hostname:*.com AND NOT http.http_user_agent:*Windows* AND src_ip:10.10.0.0/16", ""},
	{"first 100 rows: same hunt", "search", "event_type:http AND http.hostname:*.com AND NOT http.http_user_agent:*Windows* AND src_ip:10.10.0.0/16", ""},
	{"count: proxy ports, not internal", "count", "dest_port:(1080 OR 3128 OR 8080 OR 8118 OR 9050) AND NOT dest_ip:10.0.0.0/8", ""},
	{"count: CONNECT requests", "count", "http.http_method:CONNECT", ""},
	{"top tls.sni", "top", "", "tls.sni"},
	{"top dest_ip of flows", "top", "event_type:flow", "dest_ip"},
}

// BenchResult is what `nethunt bench --json` prints.
type BenchResult struct {
	Events           int64         `json:"events"`
	InputBytes       int64         `json:"input_bytes"`
	DecodeEPS        float64       `json:"decode_events_per_s"`
	IngestEPS        float64       `json:"ingest_events_per_s"`
	IngestVsDecode   float64       `json:"ingest_vs_decode_ratio"`
	PeakRSSBytes     int64         `json:"peak_rss_bytes"`
	MaxHeapBytes     uint64        `json:"max_heap_bytes_during_ingest"`
	Hunts            []BenchHunt   `json:"hunts"`
	GOMAXPROCS       int           `json:"gomaxprocs"`
	DecodeElapsed    time.Duration `json:"decode_elapsed_ns"`
	IngestElapsed    time.Duration `json:"ingest_elapsed_ns"`
	HuntWindowHours  float64       `json:"hunt_window_hours"`
	StoreBytes       int64         `json:"store_bytes"`
	DecodePerCoreEPS float64       `json:"decode_events_per_s_per_core"`
	// With Host Insights and Sightings on (issue: at least 80% of IngestEPS).
	StateEPS       float64 `json:"ingest_with_state_events_per_s"`
	StateVsIngest  float64 `json:"ingest_with_state_vs_ingest_ratio"`
	StateHosts     int     `json:"state_hosts_profiled"`
	StateSightings int64   `json:"state_sightings"`
	StateMaxHeap   uint64  `json:"max_heap_bytes_with_state"`
	// Events per CPU-second (all threads, Go and DuckDB): robust to other
	// load on the machine, and what more cores would scale.
	IngestPerCPUSecond float64 `json:"ingest_events_per_cpu_s"`
	StatePerCPUSecond  float64 `json:"ingest_with_state_events_per_cpu_s"`
	// BenchState: skip the third phase.
	SkipState bool `json:"-"`
	// Host lookups as an analyst types them: whole cold commands (a new
	// process each, no owner running) on the store of the third phase,
	// against the process start alone (`nethunt --help`).
	ProcessStart time.Duration `json:"process_start_median_ns"`
	HostLookups  []BenchHunt   `json:"host_lookups"`
}

// BenchHunt is one timed hunt; VsDecode is its latency divided by the time
// the decode-only baseline needs for the same number of stored events.
type BenchHunt struct {
	Name     string        `json:"name"`
	Query    string        `json:"query"`
	Median   time.Duration `json:"median_ns"`
	Result   int64         `json:"result"`
	VsDecode float64       `json:"vs_decode_ratio"`
}

// benchBatch overrides the batch size, for tuning.
var benchBatch int

func init() {
	register(func() *command {
		var events int64
		var dir string
		var asJSON, keep, noState bool
		var runs int
		return &command{
			name: "bench", args: "[--events 1000000] [--dir DIR] [--json]",
			short: "Measure ingest events/s and hunt latency on a generated workload",
			long: `Generates a fixed workload with the simulator (seed 1), then in one process:
  1. decode-only baseline: read + decode every line (one goroutine),
  2. end-to-end ingest: read + decode + enrich + store into a fresh DuckDB,
  3. a fixed set of hunts on the stored events (median of --runs).
Reports events/s, ratios against the decode-only baseline, hunt latencies and
peak memory. Use --events 10000000 for the 10M-event figures.`,
			flags: func(fs *flag.FlagSet) {
				fs.Int64Var(&events, "events", 1_000_000, "number of events in the workload")
				fs.StringVar(&dir, "dir", "", "work directory (default: a temporary one, removed afterwards)")
				fs.BoolVar(&asJSON, "json", false, "print the result as JSON")
				fs.BoolVar(&keep, "keep", false, "keep the work directory")
				fs.IntVar(&benchBatch, "batch", 0, "events per stored batch (default: ingest.batch_size, 20000)")
				fs.IntVar(&runs, "runs", 5, "runs per hunt")
				fs.BoolVar(&noState, "no-state", false, "skip the third phase (ingest with host insights, sightings and detectors)")
			},
			run: func(ctx context.Context, e *env, fs *flag.FlagSet, args []string) error {
				if dir == "" {
					d, err := os.MkdirTemp("", "nethunt-bench-")
					if err != nil {
						return err
					}
					dir = d
					if !keep {
						defer os.RemoveAll(d)
					}
				} else if err := os.MkdirAll(dir, 0o755); err != nil {
					return err
				}
				r, err := runBench(ctx, e, dir, events, runs, noState)
				if err != nil {
					return err
				}
				if asJSON {
					enc := json.NewEncoder(e.stdout)
					enc.SetIndent("", "  ")
					return enc.Encode(r)
				}
				printBench(e.stdout, r)
				return nil
			},
		}
	})
}

// errEnough stops the simulator once the workload has its events.
var errEnough = errors.New("enough events")

type lineLimit struct {
	w    io.Writer
	left int64
	n    int64
}

func (l *lineLimit) Write(p []byte) (int, error) {
	if l.left <= 0 {
		return 0, errEnough
	}
	written := 0
	for len(p) > 0 && l.left > 0 {
		i := bytes.IndexByte(p, '\n')
		if i < 0 {
			n, err := l.w.Write(p)
			return written + n, err
		}
		n, err := l.w.Write(p[:i+1])
		written += n
		l.n += int64(n)
		if err != nil {
			return written, err
		}
		l.left--
		p = p[i+1:]
	}
	if l.left <= 0 && len(p) > 0 {
		return written, errEnough
	}
	return written, nil
}

func runBench(ctx context.Context, e *env, dir string, events int64, runs int, noState bool) (*BenchResult, error) {
	r := &BenchResult{GOMAXPROCS: runtime.GOMAXPROCS(0), SkipState: noState}
	eve := filepath.Join(dir, "bench-eve.json")
	fmt.Fprintf(e.stderr, "generating %d events (simulator seed 1) ...\n", events)
	f, err := os.Create(eve)
	if err != nil {
		return nil, err
	}
	// ~105 events per host-hour over 24 h, with margin so the
	// simulator never runs out before the line limit.
	hosts := int(max(50, events/2200))
	c := sim.Config{Seed: 1, Hosts: hosts, Hours: 24}
	lw := &lineLimit{w: f, left: events}
	bw := newBufWriter(lw)
	_, gerr := sim.Generate(c, bw, nil)
	if gerr == nil || errors.Is(gerr, errEnough) {
		gerr = bw.Flush()
		if errors.Is(gerr, errEnough) {
			gerr = nil
		}
	}
	f.Close()
	if gerr != nil && !errors.Is(gerr, errEnough) {
		return nil, gerr
	}
	r.InputBytes = lw.n

	// 1. Decode-only baseline.
	fmt.Fprintln(e.stderr, "decode-only baseline ...")
	runtime.GC()
	var decoded int64
	t0 := time.Now()
	cpu0 := cpuTime()
	err = source.ReadFiles(ctx, []string{eve}, source.Options{}, decodeOnly{&decoded})
	if err != nil {
		return nil, err
	}
	r.DecodeElapsed = time.Since(t0)
	cpuDec := cpuTime() - cpu0
	r.Events = decoded
	r.DecodeEPS = float64(decoded) / r.DecodeElapsed.Seconds()
	if cpuDec > 0 {
		r.DecodePerCoreEPS = float64(decoded) / cpuDec.Seconds()
	}

	// 2. End-to-end ingest.
	fmt.Fprintln(e.stderr, "end-to-end ingest into DuckDB ...")
	cfg := config.Default()
	org := c.Org()
	for _, g := range org.Groups {
		cfg.NetworkGroups = append(cfg.NetworkGroups, config.NetGroup{Name: g.Name, CIDR: g.CIDR})
	}
	cfg.Store.Path = filepath.Join(dir, "bench.db")
	os.Remove(cfg.Store.Path)
	de := &env{stdout: e.stdout, stderr: e.stderr, cfg: cfg}
	st, err := openStore(de, false)
	if err != nil {
		return nil, err
	}
	en, err := enrich.New(cfg)
	if err != nil {
		return nil, err
	}
	if benchBatch > 0 {
		cfg.Ingest.BatchSize = benchBatch
	}
	p := &ingest.Pipeline{Store: st, Enrich: en, BatchSize: cfg.Ingest.BatchSize}
	heapDone := watchHeap(&r.MaxHeapBytes)
	cpuIn := cpuTime()
	stop := progress(e.stderr, &p.C, r.InputBytes, false)
	sum, err := p.Run(ctx, func(ctx context.Context, h source.Handler) error {
		return source.ReadFiles(ctx, []string{eve}, source.Options{}, h)
	})
	stop()
	heapDone()
	if err != nil {
		st.Close()
		return nil, err
	}
	r.IngestElapsed = sum.Elapsed
	r.IngestEPS = sum.Rate()
	if c := cpuTime() - cpuIn; c > 0 {
		r.IngestPerCPUSecond = float64(sum.Events) / c.Seconds()
	}
	r.IngestVsDecode = r.IngestEPS / r.DecodeEPS
	if sum.Events != decoded {
		st.Close()
		return nil, fmt.Errorf("ingest stored %d events, decode-only saw %d", sum.Events, decoded)
	}

	// 3. Hunts over the last 12 hours of the data.
	fmt.Fprintln(e.stderr, "timing hunts ...")
	stats, err := st.Stats(ctx)
	if err != nil {
		st.Close()
		return nil, err
	}
	r.StoreBytes = stats.Bytes
	from := stats.Last.Add(-12 * time.Hour)
	if from.Before(stats.First) {
		from = stats.First
	}
	r.HuntWindowHours = stats.Last.Sub(from).Hours()
	decodeAll := time.Duration(float64(time.Second) * float64(stats.Total) / r.DecodeEPS)
	for _, h := range benchHunts {
		w := window{}
		q, err := buildQuery([]string{h.q}, &w)
		if err != nil {
			st.Close()
			return nil, err
		}
		q.From, q.To = from, stats.Last.Add(time.Second)
		var times []time.Duration
		var result int64
		for i := 0; i < max(1, runs); i++ {
			t := time.Now()
			switch h.kind {
			case "count":
				result, err = st.Count(ctx, q)
			case "search":
				q.Limit = 100
				result = 0
				err = st.Search(ctx, q, func(store.Row) error { result++; return nil })
			case "top":
				var tv []store.TopValue
				tv, err = st.Top(ctx, h.field, q, 10)
				result = int64(len(tv))
			}
			if err != nil {
				st.Close()
				return nil, fmt.Errorf("%s: %w", h.name, err)
			}
			times = append(times, time.Since(t))
		}
		sort.Slice(times, func(i, j int) bool { return times[i] < times[j] })
		med := times[len(times)/2]
		qtext := h.q
		if h.field != "" {
			qtext = "top " + h.field + " " + h.q
		}
		r.Hunts = append(r.Hunts, BenchHunt{Name: h.name, Query: qtext, Median: med, Result: result, VsDecode: float64(med) / float64(decodeAll)})
	}
	if err := st.Close(); err != nil {
		return nil, err
	}
	r.PeakRSSBytes = peakRSS()
	if r.SkipState {
		return r, nil
	}

	// 4. The same ingest with the stateful stages (Host Insights,
	// Sightings), into a fresh store.
	fmt.Fprintln(e.stderr, "end-to-end ingest with host insights, sightings and detectors ...")
	scfg := *cfg
	scfg.Store.Path = filepath.Join(dir, "bench-state.db")
	for _, p := range []string{scfg.Store.Path, scfg.Store.Path + ".wal", scfg.Store.Path + ".raw", stateDir(&scfg)} {
		os.RemoveAll(p)
	}
	for _, ap := range org.ApprovedProxies {
		scfg.ApprovedProxies = append(scfg.ApprovedProxies, ap)
	}
	st2, err := openStore(&env{stdout: e.stdout, stderr: e.stderr, cfg: &scfg}, false)
	if err != nil {
		return nil, err
	}
	st2Open := true
	defer func() {
		if st2Open {
			st2.Close()
		}
	}()
	p2, err := newPipeline(ctx, &scfg, st2, io.Discard)
	if err != nil {
		return nil, err
	}
	heap2 := watchHeap(&r.StateMaxHeap)
	cpuSt := cpuTime()
	stop = progress(e.stderr, &p2.C, r.InputBytes, false)
	sum2, err := p2.Run(ctx, func(ctx context.Context, h source.Handler) error {
		return source.ReadFiles(ctx, []string{eve}, source.Options{}, h)
	})
	stop()
	heap2()
	if err != nil {
		return nil, err
	}
	r.StateEPS = sum2.Rate()
	if c := cpuTime() - cpuSt; c > 0 {
		r.StatePerCPUSecond = float64(sum2.Events) / c.Seconds()
	}
	r.StateVsIngest = r.StateEPS / r.IngestEPS
	r.StateSightings = sum2.Derived
	for _, sg := range p2.Stages {
		if hs, ok := sg.(*hostStage); ok {
			r.StateHosts = hs.T.Len()
		}
	}
	if err := saveRows(p2); err != nil {
		return nil, err
	}
	r.PeakRSSBytes = peakRSS()
	st2Open = false
	if err := st2.Close(); err != nil {
		return nil, err
	}
	if len(org.ApprovedProxies) > 0 {
		proxy, _, _ := config.ParseHostPort(org.ApprovedProxies[0])
		if err := benchLookups(ctx, e, r, scfg.Store.Path, proxy.String(), runs); err != nil {
			fmt.Fprintf(e.stderr, "host lookups not measured: %v\n", err)
		}
	}
	return r, nil
}

// benchLookups times `nethunt host IP` and `nethunt hosts QUERY` as new
// processes (what an analyst waits for), median of 2×runs, after the
// store's owner has stopped: they answer from the snapshot index and the
// query columns.
func benchLookups(ctx context.Context, e *env, r *BenchResult, db, ip string, runs int) error {
	fmt.Fprintln(e.stderr, "host lookups as cold commands ...")
	var err error
	median := func(args ...string) (time.Duration, error) {
		var ds []time.Duration
		for i := 0; i < 2*max(1, runs); i++ {
			cmd, err := nethuntCommand(ctx, args...)
			if err != nil {
				return 0, err
			}
			t0 := time.Now()
			out, err := cmd.CombinedOutput()
			if err != nil {
				return 0, fmt.Errorf("%s: %v: %s", strings.Join(args, " "), err, out)
			}
			ds = append(ds, time.Since(t0))
			if slices.Contains(args, "hosts") && !bytes.Contains(out, []byte("from the query columns")) {
				return 0, fmt.Errorf("%s did not answer from the query columns: %s", strings.Join(args, " "), lastLine(out))
			}
		}
		slices.Sort(ds)
		return ds[len(ds)/2], nil
	}
	if r.ProcessStart, err = median("--help"); err != nil {
		return err
	}
	for _, l := range []struct{ name, query string }{
		{"host IP (an approved proxy's card)", "host " + ip},
		{"hosts: HTTP proxies", `hosts host.roles:"http proxy"`},
		{"hosts: proxies not approved", `hosts host.roles:"http proxy" AND NOT host.approved:true`},
	} {
		args := append([]string{"--db", db}, strings.SplitN(l.query, " ", 2)...)
		d, err := median(args...)
		if err != nil {
			return err
		}
		r.HostLookups = append(r.HostLookups, BenchHunt{Name: l.name, Query: "nethunt " + l.query, Median: d, VsDecode: float64(d) / float64(r.ProcessStart)})
	}
	return nil
}

type decodeOnly struct{ n *int64 }

func (d decodeOnly) Record(r source.Record) error {
	if _, err := decode.Decode(r.Data); err == nil {
		*d.n++
	}
	return nil
}
func (decodeOnly) Problem(source.Problem)                 {}
func (decodeOnly) EndOfFile(string, source.FileID, int64) {}

func printBench(w io.Writer, r *BenchResult) {
	fmt.Fprintf(w, "workload: %d simulator events (seed 1), %s, GOMAXPROCS=%d\n\n", r.Events, human.Bytes(r.InputBytes), r.GOMAXPROCS)
	fmt.Fprintf(w, "decode only (baseline):   %10.0f events/s  (%.0f events per CPU-second)\n", r.DecodeEPS, r.DecodePerCoreEPS)
	fmt.Fprintf(w, "ingest decode+store:      %10.0f events/s  = %.2f x decode-only  (%.0f events per CPU-second)\n", r.IngestEPS, r.IngestVsDecode, r.IngestPerCPUSecond)
	if r.StateEPS > 0 {
		fmt.Fprintf(w, "ingest + hosts/sightings/detect:%4.0f events/s  = %.2f x ingest  (%.0f per CPU-s; %d hosts profiled, %d sightings; max heap %s)\n", r.StateEPS, r.StateVsIngest, r.StatePerCPUSecond, r.StateHosts, r.StateSightings, human.Bytes(int64(r.StateMaxHeap)))
	}
	fmt.Fprintf(w, "max Go heap during ingest: %s; peak RSS %s (whole run); store %s\n\n", human.Bytes(int64(r.MaxHeapBytes)), human.Bytes(r.PeakRSSBytes), human.Bytes(r.StoreBytes))
	fmt.Fprintf(w, "hunts over the last %.0fh of data (median of runs; ratio = latency / time to decode all stored events):\n", r.HuntWindowHours)
	for _, h := range r.Hunts {
		fmt.Fprintf(w, "  %-36s %9s  ratio %.4f  result %d\n", h.Name, h.Median.Round(time.Microsecond*100), h.VsDecode, h.Result)
	}
	if len(r.HostLookups) > 0 {
		fmt.Fprintf(w, "\nhost lookups, whole cold commands over %d hosts (median; ratio = time / process start alone, %s):\n", r.StateHosts, r.ProcessStart.Round(time.Microsecond*100))
		for _, h := range r.HostLookups {
			fmt.Fprintf(w, "  %-36s %9s  ratio %.2f\n", h.Name, h.Median.Round(time.Microsecond*100), h.VsDecode)
		}
	}
}

func cpuTime() time.Duration {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func peakRSS() int64 {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return ru.Maxrss * 1024
}

// watchHeap samples the Go heap every 100 ms into *max until stopped, to
// show that ingest memory stays bounded.
func watchHeap(max *uint64) (stop func()) {
	done := make(chan struct{})
	finished := make(chan struct{})
	go func() {
		defer close(finished)
		t := time.NewTicker(100 * time.Millisecond)
		defer t.Stop()
		var ms runtime.MemStats
		for {
			select {
			case <-done:
				return
			case <-t.C:
				runtime.ReadMemStats(&ms)
				if ms.HeapAlloc > *max {
					*max = ms.HeapAlloc
				}
			}
		}
	}()
	return func() { close(done); <-finished }
}

// nethuntCommand runs this nethunt binary with args (tests replace it: their
// binary is the test binary).
var nethuntCommand = func(ctx context.Context, args ...string) (*exec.Cmd, error) {
	exe, err := os.Executable()
	if err != nil {
		return nil, err
	}
	return exec.CommandContext(ctx, exe, args...), nil
}

func lastLine(b []byte) string {
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	return lines[len(lines)-1]
}
