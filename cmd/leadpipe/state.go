package main

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/leadpipe/leadpipe/pipelines/state"
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
			store, err := g.openExistingState(nil)
			if err != nil {
				return err
			}
			defer store.Close()
			if err := knownPipeline(cmd.Context(), store, args[0]); err != nil {
				return err
			}
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
			store, err := g.openExistingState(nil)
			if err != nil {
				return err
			}
			defer store.Close()
			if err := knownPipeline(cmd.Context(), store, args[0]); err != nil {
				return err
			}
			if err := knownStreams(cmd.Context(), store, args[0], args[1:]); err != nil {
				return err
			}
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

// knownStreams fails on a stream the pipeline has no cursor for, so that a
// misspelt stream is not reported as reset.
func knownStreams(ctx context.Context, store *state.Store, pipeline string, streams []string) error {
	if len(streams) == 0 {
		return nil
	}
	cur, err := store.Cursors(ctx, pipeline)
	if err != nil {
		return err
	}
	var unknown, have []string
	for _, s := range streams {
		if _, ok := cur[s]; !ok {
			unknown = append(unknown, s)
		}
	}
	for s := range cur {
		have = append(have, s)
	}
	if len(unknown) == 0 {
		return nil
	}
	sort.Strings(have)
	known := "it has none"
	if len(have) > 0 {
		known = "its streams with a cursor: " + strings.Join(have, ", ")
	}
	return withCode(exitInvalid, fmt.Errorf("pipeline %s has no cursor for stream %s (%s)", pipeline, strings.Join(unknown, ", "), known))
}
