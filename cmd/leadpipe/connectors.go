package main

import (
	"fmt"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/leadpipe/leadpipe/connectors"
)

func newConnectorsCmd(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:   "connectors [NAME]",
		Short: "List the connectors, their streams and push targets",
		Long: `List every connector with its streams (what a pull reads, and into which
canonical tables) and its push targets. With a NAME, show that connector in
detail with its sample pipeline.`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) == 1 {
				spec, ok := connectors.Lookup(args[0])
				if !ok {
					return withCode(exitInvalid, fmt.Errorf("unknown connector %q (available: %s)", args[0], strings.Join(connectors.Names(), ", ")))
				}
				describeConnector(g, spec)
				return nil
			}
			tw := tabwriter.NewWriter(g.stdout, 0, 0, 2, ' ', 0)
			fmt.Fprintln(tw, "CONNECTOR\tSTREAMS (→ TABLES)\tPUSH\tSUMMARY")
			for _, s := range connectors.All() {
				var streams []string
				for _, st := range s.Streams {
					streams = append(streams, st.Name+"→"+strings.Join(st.Tables, "+"))
				}
				push := "no"
				if len(s.Targets) > 0 {
					var t []string
					for _, tg := range s.Targets {
						t = append(t, tg.Name)
					}
					push = "yes: " + strings.Join(t, ", ")
				}
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", s.Name, strings.Join(streams, ", "), push, s.Summary)
			}
			return tw.Flush()
		},
	}
}

func describeConnector(g *globals, s *connectors.Spec) {
	w := g.stdout
	fmt.Fprintf(w, "%s: %s\n\nStreams:\n", s.Name, s.Summary)
	for _, st := range s.Streams {
		inc := "full refresh"
		if st.Incremental {
			inc = "incremental on " + st.Cursor
		}
		fmt.Fprintf(w, "  %-14s → %-22s %s. %s\n", st.Name, strings.Join(st.Tables, ", "), inc, st.Description)
	}
	if len(s.Targets) > 0 {
		fmt.Fprintln(w, "\nPush targets:")
		for _, t := range s.Targets {
			lookup := "no lookup: a row of unknown outcome is reported for a human to check"
			if t.Lookup != "" {
				lookup = "exactly-once lookup by " + t.Lookup
			}
			fmt.Fprintf(w, "  %-14s %s (%s)\n", t.Name, t.Description, lookup)
		}
	}
	if len(s.Sample) > 0 {
		fmt.Fprintf(w, "\nSample pipeline:\n\n%s", s.Sample)
	}
}
