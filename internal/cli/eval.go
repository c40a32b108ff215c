package cli

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"

	"github.com/nethunt/nethunt/internal/detect"
	"github.com/nethunt/nethunt/internal/sim"
)

func init() {
	register(func() *command {
		var w window
		var truthPath string
		var strict bool
		return &command{
			name: "eval", args: "--truth FILE [--since T] [--strict]",
			short: "Score stored findings against a simulator ground truth (precision, recall, false positives)",
			long: `Reads the findings in the store (event_type:finding, latest version of each
id) and the ground truth written by 'nethunt simulate --truth FILE', and
prints recall per planted case kind, precision per finding kind, the
false positives and whether any benign look-alike was escalated.

A finding matches a case when its proxy, destinations, domains or
non-client hosts overlap the case's proxy / pivot / server, relays,
domains or external addresses. A planted case counts as found when a
finding of the kind that names it matches (internal_rogue_http_proxy:
internal_proxy, external_http_proxy_letsencrypt: external_proxy,
socks_proxy: socks_proxy, tor: tor, multi_hop_chain: proxy_chain,
domain_fronting: domain_fronting, tunnel_service: tunnel_service,
cdn_abuse: cdn_abuse). Any finding matching a planted case is a true
positive; the others are false positives.
  nethunt simulate --seed 3 --hours 8 -o eve.json --truth truth.json --config-out nethunt.yaml
  nethunt --config nethunt.yaml ingest eve.json
  nethunt --config nethunt.yaml eval --truth truth.json
--strict exits with status 1 unless recall is 1.0 and no benign
look-alike is escalated.`,
			flags: func(fs *flag.FlagSet) {
				w.flags(fs)
				fs.StringVar(&truthPath, "truth", "", "ground-truth JSON written by 'nethunt simulate --truth'")
				fs.BoolVar(&strict, "strict", false, "fail unless every planted case is found and no benign look-alike is escalated")
			},
			run: func(ctx context.Context, e *env, fs *flag.FlagSet, args []string) error {
				if truthPath == "" {
					return usageError{"--truth FILE is required"}
				}
				if len(args) > 0 {
					return usageError{"unexpected arguments"}
				}
				data, err := os.ReadFile(truthPath)
				if err != nil {
					return err
				}
				var truth sim.Truth
				if err := json.Unmarshal(data, &truth); err != nil {
					return fmt.Errorf("%s: not a simulator ground truth: %w", truthPath, err)
				}
				q, err := findingQuery(nil, &w, false, "")
				if err != nil {
					return err
				}
				list, err := storedFindings(ctx, e, q)
				if err != nil {
					return err
				}
				rep := detect.Score(truth, list)
				fmt.Fprintf(e.stdout, "truth: seed %d, %d hosts, %.0f h, %d cases; store: %d findings\n\n", truth.Seed, truth.Hosts, truth.Hours, len(truth.Cases), len(list))
				if err := rep.Write(e.stdout); err != nil {
					return err
				}
				if strict && (rep.RecallAll() < 1 || len(rep.BenignEscalated()) > 0) {
					return fmt.Errorf("strict: recall %.2f, %d benign look-alike(s) escalated", rep.RecallAll(), len(rep.BenignEscalated()))
				}
				return nil
			},
		}
	})
}
