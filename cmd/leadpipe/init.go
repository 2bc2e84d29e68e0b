package main

import (
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/leadpipe/leadpipe/config/pipelineschema"
	"github.com/leadpipe/leadpipe/examples/scaffold"
)

func newInitCmd(g *globals) *cobra.Command {
	var vendors []string
	cmd := &cobra.Command{
		Use:   "init [DIR] [--vendor V...]",
		Short: "Start a project: a pull and a push pipeline per vendor, ready to run against the sandboxes",
		Long: `Write a new leadpipe project into DIR (default: the working directory):

  leadpipe.yaml          the project file: the state store and the lake of every
                         pipeline in the directory (see "Where the state lives")
  <vendor>.yaml          a pull pipeline per vendor: its streams into a Parquet lake
  backfill-<vendor>.yaml a push pipeline per vendor (Iute: its loan applications),
  data/                  with its sample CSV (a few rows break the vendor's rules
                         on purpose: they are rejected, with their reasons)
  pipeline.schema.json   the JSON Schema the pipelines' modelines point at
  .env.example           every environment variable the pipelines read
  .gitignore             the state store and the lake

Nothing is overwritten: if a file is already there, init writes nothing.
The pipelines run unchanged against the vendor simulators: start
leadpipe sandbox in another shell, paste the exports it prints, and run them
(leadpipe sandbox --rate-window 1s spares the wait of Lofty's ten calls a
minute).`,
		Example: "  leadpipe init my-project --vendor lumi --vendor bizcap\n  leadpipe init    # every vendor, here",
		Args:    cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			dir := "."
			if len(args) == 1 {
				dir = args[0]
			}
			schema, err := pipelineschema.Generate()
			if err != nil {
				return err
			}
			p, err := scaffold.Write(scaffold.Options{Dir: dir, Vendors: vendors, Schema: schema})
			if err != nil {
				return withCode(exitInvalid, err)
			}
			w := g.stdout
			fmt.Fprintf(w, "leadpipe project in %s:\n", p.Dir)
			for _, f := range p.Files {
				fmt.Fprintf(w, "  %s\n", f)
			}
			in := shellPath(p.Dir)
			prefix := ""
			if in != "." {
				prefix = in + "/"
			}
			fmt.Fprintf(w, `
Try it against the built-in vendor simulators:

  leadpipe sandbox --rate-window 1s   # in another shell; paste the export lines it prints here
  leadpipe validate %s
  leadpipe run %s

For your real accounts, set the variables listed in %s.env.example instead.
`, in, prefix+strings.Join(p.Pipelines, " "+prefix), prefix)
			return nil
		},
	}
	cmd.Flags().StringSliceVar(&vendors, "vendor", nil, "vendor to write pipelines for (repeat, or a comma list; default: every vendor): "+strings.Join(scaffold.Vendors(), ", "))
	return cmd
}
