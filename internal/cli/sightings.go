package cli

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"strings"
	"text/tabwriter"

	"github.com/nethunt/nethunt/internal/sightings"
	"github.com/nethunt/nethunt/internal/store"
)

func init() {
	register(func() *command {
		var w window
		var key, format string
		var limit int
		var summary bool
		return &command{
			name: "sightings", remote: readOnly, args: "[--since 24h] [--key tls.sni] [--limit 100] [--summary]",
			short: "What is new on the network: values seen for the first time",
			long: `Sightings are stored as events (event_type:sighting), so this is a shortcut
for a hunt; any filter can narrow them, e.g.
  nethunt sightings --since 24h --key tls.sni
  nethunt sightings --summary --since 7d
  nethunt hunt 'event_type:sighting AND sighting.key:http.http_user_agent AND sighting.asset_group:Users'
Keys: ` + keyList() + `
See docs/sightings.md for the learning period and what each key tracks.`,
			flags: func(fs *flag.FlagSet) {
				w.flags(fs)
				fs.StringVar(&key, "key", "", "only this key (see the list above)")
				fs.IntVar(&limit, "limit", 100, "maximum number of sightings (0 = no limit)")
				fs.StringVar(&format, "format", "table", "table or json")
				fs.BoolVar(&summary, "summary", false, "count new values per key instead of listing them")
			},
			run: func(ctx context.Context, e *env, fs *flag.FlagSet, args []string) error {
				text := "event_type:sighting"
				if key != "" {
					if err := sightings.CheckKeys([]string{key}); err != nil {
						return usageError{err.Error()}
					}
					text += ` AND sighting.key:"` + key + `"` // a known key: no quoting issues
				}
				if len(args) > 0 {
					text += " AND (" + strings.Join(args, " ") + ")"
				}
				q, err := buildQuery([]string{text}, &w)
				if err != nil {
					return err
				}
				st, err := openStore(e, true)
				if err != nil {
					return err
				}
				defer st.Close()
				if summary {
					vals, err := st.Top(ctx, "sighting.key", q, 100)
					if err != nil {
						return err
					}
					tw := tabwriter.NewWriter(e.stdout, 2, 4, 2, ' ', tabwriter.AlignRight)
					fmt.Fprintln(tw, "NEW VALUES\tKEY\t")
					for _, v := range vals {
						fmt.Fprintf(tw, "%d\t%s\t\n", v.Count, v.Value)
					}
					return tw.Flush()
				}
				q.Limit = limit
				q.Fields = []string{"timestamp", "sighting.key", "sighting.value", "sighting.asset", "sighting.asset_group", "src_ip", "dest_ip", "dest_port", "app_proto"}
				if format == "json" {
					enc := json.NewEncoder(e.stdout)
					return st.Search(ctx, q, func(r store.Row) error {
						m := map[string]string{}
						for _, f := range q.Fields {
							if v, ok := r.Values[f]; ok {
								m[f] = formatValue(v)
							}
						}
						return enc.Encode(m)
					})
				}
				tw := tabwriter.NewWriter(e.stdout, 2, 4, 2, ' ', 0)
				fmt.Fprintln(tw, "FIRST SEEN\tKEY\tVALUE\tASSET\tGROUP\tSEEN IN")
				n := 0
				err = st.Search(ctx, q, func(r store.Row) error {
					n++
					v := func(f string) string { return formatValue(r.Values[f]) }
					fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s → %s:%s %s\n", v("timestamp"), v("sighting.key"), clip(v("sighting.value"), 70),
						v("sighting.asset"), v("sighting.asset_group"), v("src_ip"), v("dest_ip"), v("dest_port"), v("app_proto"))
					return nil
				})
				tw.Flush()
				if err == nil {
					fmt.Fprintf(e.stderr, "%d sightings shown (newest first)\n", n)
				}
				return err
			},
		}
	})
}

func keyList() string {
	var names []string
	for _, k := range sightings.Keys() {
		names = append(names, k.Name)
	}
	return strings.Join(names, ", ")
}
