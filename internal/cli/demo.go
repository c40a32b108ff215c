package cli

import (
	"context"
	"flag"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/nethunt/nethunt/internal/config"
	"github.com/nethunt/nethunt/internal/sim"
	"github.com/nethunt/nethunt/internal/source"
)

func init() {
	register(func() *command {
		var dir string
		var hosts int
		var hours float64
		var seed int64
		return &command{
			name: "demo", args: "[--dir demo] [--hosts 150] [--hours 6] [--seed 7]",
			short: "Simulate a network, ingest it into a local store and suggest hunts",
			long: `Writes DIR/eve.json (simulated Suricata EVE ending now), DIR/truth.json (the
planted cases), DIR/nethunt.yaml (network groups and approved proxies of the
simulated organisation) and DIR/nethunt.db, then runs a short guided walk of
hunts against it. Re-running replaces the previous demo store.`,
			flags: func(fs *flag.FlagSet) {
				fs.StringVar(&dir, "dir", "demo", "directory for the demo files")
				fs.IntVar(&hosts, "hosts", 150, "number of workstations")
				fs.Float64Var(&hours, "hours", 6, "simulated hours, ending now")
				fs.Int64Var(&seed, "seed", 7, "random seed")
			},
			run: func(ctx context.Context, e *env, fs *flag.FlagSet, args []string) error {
				if err := os.MkdirAll(dir, 0o755); err != nil {
					return err
				}
				start := time.Now().UTC().Truncate(time.Minute).Add(-time.Duration(hours * float64(time.Hour)))
				c := sim.Config{Seed: seed, Hosts: hosts, Hours: hours, Start: start}
				eve, truth, cfgPath, db := filepath.Join(dir, "eve.json"), filepath.Join(dir, "truth.json"), filepath.Join(dir, "nethunt.yaml"), filepath.Join(dir, "nethunt.db")
				fmt.Fprintf(e.stdout, "1. Simulating %d workstations for %.0fh (seed %d) → %s\n", hosts, hours, seed, eve)
				t0 := time.Now()
				ss, err := simulateTo(c, eve, truth, "", nil)
				if err != nil {
					return err
				}
				fmt.Fprintf(e.stdout, "   %d events in %s\n", ss.Events, time.Since(t0).Round(time.Millisecond))
				org := c.Org()
				// The demo spans hours, not days: learn for its first hour.
				const demoExtra = "sightings:\n  learning: 1h\n"
				yml := fmt.Sprintf("store:\n  path: %s\n", filepath.Base(db)) + demoExtra + org.ConfigYAML()
				if err := os.WriteFile(cfgPath, []byte(yml), 0o644); err != nil {
					return err
				}
				cfg, err := config.Parse([]byte(yml), cfgPath)
				if err != nil {
					return fmt.Errorf("simulator config: %w", err)
				}
				if cfg.Store.Path != db {
					return fmt.Errorf("internal: demo config resolves the store to %s, not %s", cfg.Store.Path, db)
				}
				if c, err := net.Dial("unix", socketPath(cfg)); err == nil {
					c.Close()
					return fmt.Errorf("a nethunt process owns %s (serve or ingest): stop it before replacing the demo", db)
				}
				for _, p := range []string{db, db + ".wal", db + ".seq", cfg.Ingest.Rejects, db + ".raw", stateDir(cfg)} {
					os.RemoveAll(p)
				}
				de := &env{stdin: e.stdin, stdout: e.stdout, stderr: e.stderr, cfg: cfg}

				fmt.Fprintf(e.stdout, "2. Ingesting into %s\n", db)
				st, err := openStore(de, false)
				if err != nil {
					return err
				}
				p, err := newPipeline(ctx, cfg, st, e.stderr)
				if err != nil {
					st.Close()
					return err
				}
				stop := progress(e.stderr, &p.C, ss.Bytes, false)
				sum, err := p.Run(ctx, func(ctx context.Context, h source.Handler) error {
					return source.ReadFiles(ctx, []string{eve}, source.Options{}, h)
				})
				stop()
				if err == nil {
					err = saveRows(p)
				}
				cerr := st.Close()
				if err != nil {
					return err
				}
				if cerr != nil {
					return cerr
				}
				fmt.Fprint(e.stdout, "   ")
				printSummary(e.stdout, sum, cfg.Ingest.Rejects)

				fmt.Fprintf(e.stdout, "\n3. Hunts to try (counts from this demo store):\n")
				st, err = openStore(de, true)
				if err != nil {
					return err
				}
				defer st.Close()
				approved := make([]string, 0, len(org.ApprovedProxies))
				for _, ap := range org.ApprovedProxies {
					a, _, _ := config.ParseHostPort(ap)
					approved = append(approved, a.String())
				}
				notApproved := ""
				if len(approved) > 0 {
					notApproved = " AND NOT dest_ip:(" + strings.Join(approved, " OR ") + ")"
				}
				walk := []struct{ what, q string }{
					{"Everything, last 48 hours", ""},
					{"CONNECT requests (who uses a proxy?)", "event_type:http AND http.http_method:CONNECT"},
					{"...to anything but the approved proxies", "event_type:http AND http.http_method:CONNECT" + notApproved},
					{"Absolute-URI requests (forward-proxy style) not to approved proxies", "event_type:http AND http.url:http*" + notApproved},
					{"Let's Encrypt certificates seen by the Users network", "event_type:tls AND tls.issuerdn:*Encrypt* AND src_group:Users"},
					{"Proxy ports on external hosts", "dest_port:(1080 OR 3128 OR 8080 OR 8118 OR 8888 OR 9050 OR 9150) AND NOT dest_ip:10.0.0.0/8 AND NOT dest_ip:172.16.0.0/12 AND NOT dest_ip:192.168.0.0/16"},
					{"Tor ORPort / DirPort traffic", "event_type:flow AND dest_port:(9001 OR 9030)"},
					{"Tunnelling services (ngrok, trycloudflare, devtunnels, ... from the reference lists)", "tunnel:*"},
				}
				for i, h := range walk {
					w := window{since: "48h"}
					q, err := buildQuery([]string{h.q}, &w)
					if err != nil {
						return fmt.Errorf("demo hunt %q: %w", h.q, err)
					}
					t0 := time.Now()
					n, err := st.Count(ctx, q)
					if err != nil {
						return err
					}
					fmt.Fprintf(e.stdout, "\n   %c) %s: %d events (%s)\n      nethunt --config %s count '%s' --since 48h\n", 'a'+i, h.what, n, time.Since(t0).Round(time.Millisecond), cfgPath, h.q)
				}
				cmd := "nethunt --config " + cfgPath
				fmt.Fprintf(e.stdout, "\n   Then pivot, e.g.:\n      %s top dest_ip 'http.http_method:CONNECT'\n      %s hunt 'http.http_method:CONNECT%s' --limit 20\n", cmd, cmd, notApproved)
				fmt.Fprintf(e.stdout, "      %s top tls.sni 'tls.issuerdn:*Encrypt*'\n      %s stats\n", cmd, cmd)
				fmt.Fprintf(e.stdout, "\n   Host Insights and Sightings:\n      %s hosts 'host.roles:\"http proxy\" AND NOT host.approved:true'\n      %s hunt 'http.http_method:CONNECT' --hosts\n      %s host 10.20.0.10\n      %s sightings --key tls.sni --since 48h\n", cmd, cmd, cmd, cmd)
				fmt.Fprintf(e.stdout, "\n   Detections (T1090), with evidence and an explained decision:\n      %s findings\n      %s explain ID\n      %s eval --truth %s\n      %s export blocklist --format suricata\n", cmd, cmd, cmd, truth, cmd)
				fmt.Fprintf(e.stdout, "\n   Keep the store and Host Insights in memory (one process owns the store; the\n   commands above, typed in another terminal, are then answered by it):\n      %s serve\n", cmd)
				fmt.Fprintf(e.stdout, "\n   The planted cases are listed in %s; docs/hunting-rogue-proxies.md walks the seed hunt.\n", truth)
				return nil
			},
		}
	})
}
