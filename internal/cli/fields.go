package cli

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"strings"
	"text/tabwriter"

	"github.com/nethunt/nethunt/internal/fields"
	"github.com/nethunt/nethunt/internal/hosts"
)

func init() {
	register(func() *command {
		var format, prefix string
		var hostFields bool
		return &command{
			name: "fields", args: "[--prefix tls.] [--hosts] [--format table|json|markdown]",
			short: "List every huntable field with its type and description",
			long: `The field registry is the single source of field names for the decoder, the
query language and the store. Names are Suricata's dotted EVE names.
--hosts lists the host.* fields of Host Insights ('nethunt hosts QUERY').`,
			flags: func(fs *flag.FlagSet) {
				fs.StringVar(&format, "format", "table", "table, json or markdown")
				fs.StringVar(&prefix, "prefix", "", "only fields whose name starts with this")
				fs.BoolVar(&hostFields, "hosts", false, "list the host.* fields of Host Insights instead")
			},
			run: func(ctx context.Context, e *env, fs *flag.FlagSet, args []string) error {
				var list []*fields.Field
				all := fields.All()
				if hostFields {
					all = hosts.Fields()
				}
				for _, f := range all {
					if strings.HasPrefix(f.Name, prefix) {
						list = append(list, f)
					}
				}
				switch format {
				case "json":
					type out struct{ Name, Type, Description string }
					var o []out
					for _, f := range list {
						o = append(o, out{f.Name, f.Type.String(), f.Desc})
					}
					enc := json.NewEncoder(e.stdout)
					enc.SetIndent("", "  ")
					return enc.Encode(o)
				case "markdown":
					fmt.Fprintln(e.stdout, "| field | type | description |\n|---|---|---|")
					for _, f := range list {
						fmt.Fprintf(e.stdout, "| `%s` | %s | %s |\n", f.Name, f.Type, strings.ReplaceAll(f.Desc, "|", "\\|"))
					}
				case "table":
					tw := tabwriter.NewWriter(e.stdout, 2, 4, 2, ' ', 0)
					fmt.Fprintln(tw, "FIELD\tTYPE\tDESCRIPTION")
					for _, f := range list {
						fmt.Fprintf(tw, "%s\t%s\t%s\n", f.Name, f.Type, f.Desc)
					}
					return tw.Flush()
				default:
					return usageError{"unknown --format " + format}
				}
				return nil
			},
		}
	})
}
