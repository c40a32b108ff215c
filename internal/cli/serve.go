package cli

import (
	"context"
	"flag"
)

func init() {
	register(func() *command {
		var follow, socket string
		return &command{
			name: "serve", args: "[--follow FILE | --socket PATH]",
			short: "Own the store: keep ingesting a live source and answer other nethunt commands",
			long: `Holds the store and Host Insights in memory and answers the read-only
commands (hunt, count, top, stats, hosts, host, sightings, findings, explain,
export) that other nethunt processes run against the same store: they
connect to the socket beside the store (store path + ".sock") instead of
opening the database, which only one process may hold. Any ingest does the
same while it runs; serve is the long-running form, with or without a live
source. It stops gracefully on SIGINT or SIGTERM.

Examples:
  nethunt serve --follow /var/log/suricata/eve.json
  nethunt serve                      # answer queries from memory, ingest nothing
  nethunt host 10.20.0.10            # in another terminal: answered by serve`,
			flags: func(fs *flag.FlagSet) {
				fs.StringVar(&follow, "follow", "", "follow this live EVE file like tail -F")
				fs.StringVar(&socket, "socket", "", "listen on this Unix socket for Suricata's unix_stream output")
			},
			run: func(ctx context.Context, e *env, fs *flag.FlagSet, args []string) error {
				if len(args) > 0 {
					return usageError{"serve takes no files: use --follow FILE, or nethunt ingest for files"}
				}
				if follow != "" && socket != "" {
					return usageError{"--follow and --socket are exclusive"}
				}
				o := ingestOptions{socket: socket, quiet: true, idle: follow == "" && socket == ""}
				if follow != "" {
					o.follow, args = true, []string{follow}
				}
				return runIngest(ctx, e, args, o)
			},
		}
	})
}
