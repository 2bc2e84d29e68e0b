package main

import (
	"fmt"
	"text/tabwriter"

	"github.com/spf13/cobra"
)

func newStateCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "state",
		Short: "Show or reset a pipeline's cursors",
	}
	cmd.AddCommand(&cobra.Command{
		Use:   "show PIPELINE",
		Short: "Show the committed cursors of a pipeline",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			store, err := g.openState("")
			if err != nil {
				return err
			}
			defer store.Close()
			cur, err := store.Cursors(cmd.Context(), args[0])
			if err != nil {
				return err
			}
			if len(cur) == 0 {
				fmt.Fprintf(g.stdout, "pipeline %s has no committed cursors in %s (its next run reads from the start)\n", args[0], store.Path())
				return nil
			}
			tw := tabwriter.NewWriter(g.stdout, 0, 0, 2, ' ', 0)
			fmt.Fprintln(tw, "STREAM\tCURSOR")
			for k, v := range cur {
				fmt.Fprintf(tw, "%s\t%s\n", k, v)
			}
			return tw.Flush()
		},
	})
	cmd.AddCommand(&cobra.Command{
		Use:   "reset PIPELINE [STREAM...]",
		Short: "Forget a pipeline's cursors so its next run reads from the start",
		Args:  cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			store, err := g.openState("")
			if err != nil {
				return err
			}
			defer store.Close()
			n, err := store.ResetCursors(cmd.Context(), args[0], args[1:]...)
			if err != nil {
				return err
			}
			fmt.Fprintf(g.stdout, "forgot %d cursor(s) of pipeline %s\n", n, args[0])
			return nil
		},
	})
	return cmd
}
