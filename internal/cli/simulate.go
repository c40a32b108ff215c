package cli

import (
	"bufio"
	"context"
	"flag"
	"fmt"
	"github.com/nethunt/nethunt/internal/human"
	"io"
	"os"
	"time"

	"github.com/nethunt/nethunt/internal/sim"
)

func init() {
	register(func() *command {
		var seed int64
		var hosts int
		var hours float64
		var out, truth, cfgOut, start string
		return &command{
			name: "simulate", args: "[--seed N] [--hosts H] [--hours T] [-o eve.json] [--truth truth.json] [--config-out nethunt.yaml]",
			short: "Write realistic Suricata EVE for a modelled organisation, with planted T1090 cases",
			long: `The simulated organisation has departments as subnets, DNS/DHCP servers,
domain controllers, printers, web and mail servers and approved corporate
proxies, plus planted proxy abuse (internal rogue proxy, external proxy with a
Let's Encrypt certificate, SOCKS, Tor, a multi-hop chain, domain fronting,
tunnelling services) and benign look-alikes. The ground-truth file lists
every planted case. Output is deterministic for a given seed and flags.`,
			flags: func(fs *flag.FlagSet) {
				fs.Int64Var(&seed, "seed", 1, "random seed")
				fs.IntVar(&hosts, "hosts", 200, "number of workstations")
				fs.Float64Var(&hours, "hours", 24, "simulated hours")
				fs.StringVar(&out, "o", "-", "EVE output file (- for stdout)")
				fs.StringVar(&truth, "truth", "", "write the ground truth (JSON) here")
				fs.StringVar(&cfgOut, "config-out", "", "write a nethunt YAML config for the simulated network here")
				fs.StringVar(&start, "start", "", "simulation start (RFC 3339; default 2026-11-20T00:00:00Z)")
			},
			run: func(ctx context.Context, e *env, fs *flag.FlagSet, args []string) error {
				c := sim.Config{Seed: seed, Hosts: hosts, Hours: hours}
				if start != "" {
					t, err := time.Parse(time.RFC3339, start)
					if err != nil {
						return usageError{"--start: " + err.Error()}
					}
					c.Start = t
				}
				st, err := simulateTo(c, out, truth, cfgOut, e.stdout)
				if err != nil {
					return err
				}
				fmt.Fprintf(e.stderr, "wrote %d events (%s)\n", st.Events, human.Bytes(st.Bytes))
				return nil
			},
		}
	})
}

// simulateTo runs the simulator into files ("-" = w).
func simulateTo(c sim.Config, out, truth, cfgOut string, w io.Writer) (sim.Stats, error) {
	var ew io.Writer = w
	var f *os.File
	var err error
	if out != "-" && out != "" {
		if f, err = os.Create(out); err != nil {
			return sim.Stats{}, err
		}
		defer f.Close()
		ew = f
	}
	bw := bufio.NewWriterSize(ew, 1<<20)
	var tw io.Writer
	var tf *os.File
	if truth != "" {
		if tf, err = os.Create(truth); err != nil {
			return sim.Stats{}, err
		}
		defer tf.Close()
		tw = tf
	}
	st, err := sim.Generate(c, bw, tw)
	if err != nil {
		return st, err
	}
	if err := bw.Flush(); err != nil {
		return st, err
	}
	if f != nil {
		if err := f.Close(); err != nil {
			return st, err
		}
	}
	if cfgOut != "" {
		if err := os.WriteFile(cfgOut, []byte(c.Org().ConfigYAML()), 0o644); err != nil {
			return st, err
		}
	}
	return st, nil
}

func newBufWriter(w io.Writer) *bufio.Writer { return bufio.NewWriterSize(w, 1<<20) }
