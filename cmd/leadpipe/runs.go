package main

import (
	"encoding/json"
	"fmt"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/leadpipe/leadpipe/pipelines"
	"github.com/leadpipe/leadpipe/pipelines/state"
)

func newRunsCmd(g *globals) *cobra.Command {
	var f state.RunFilter
	cmd := &cobra.Command{
		Use:   "runs",
		Short: "Show the run history",
		Long:  "Show the run history from the state store, newest first. `leadpipe runs show RUN_ID` gives one run in detail.",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			store, err := g.openState("")
			if err != nil {
				return err
			}
			defer store.Close()
			runs, err := store.Runs(cmd.Context(), f)
			if err != nil {
				return err
			}
			if len(runs) == 0 {
				fmt.Fprintf(g.stdout, "no runs recorded in %s\n", store.Path())
				return nil
			}
			tw := tabwriter.NewWriter(g.stdout, 0, 0, 2, ' ', 0)
			fmt.Fprintln(tw, "RUN\tPIPELINE\tKIND\tSTARTED\tDURATION\tSTATUS\tROWS\tERROR")
			for _, r := range runs {
				var sum pipelines.Summary
				_ = json.Unmarshal(r.Summary, &sum)
				rows := fmt.Sprint(sum.TotalRows())
				if sum.Push != nil {
					rows = fmt.Sprintf("%d sent/%d rejected/%d failed", sum.Push.Submitted, sum.Push.Rejected, sum.Push.Failed)
				}
				errMsg := r.Error
				if len(errMsg) > 80 {
					errMsg = errMsg[:77] + "..."
				}
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", r.ID, r.Pipeline, r.Kind,
					r.StartedAt.Local().Format("2006-01-02 15:04:05"), r.Duration().Round(time.Millisecond), r.Status, rows, errMsg)
			}
			return tw.Flush()
		},
	}
	cmd.Flags().StringVar(&f.Pipeline, "pipeline", "", "only this pipeline")
	cmd.Flags().BoolVar(&f.Failed, "failed", false, "only failed, cancelled or rolled-back runs")
	cmd.Flags().IntVar(&f.Limit, "limit", 50, "at most this many runs")
	cmd.AddCommand(&cobra.Command{
		Use:   "show RUN_ID",
		Short: "Show one run in detail",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			store, err := g.openState("")
			if err != nil {
				return err
			}
			defer store.Close()
			r, err := store.Run(cmd.Context(), args[0])
			if err != nil {
				return err
			}
			var sum pipelines.Summary
			if len(r.Summary) > 0 {
				_ = json.Unmarshal(r.Summary, &sum)
			}
			sum.RunID, sum.Pipeline, sum.Kind, sum.Status = r.ID, r.Pipeline, r.Kind, r.Status
			if sum.Duration == 0 {
				sum.Duration = r.Duration()
			}
			if sum.Error == "" {
				sum.Error = r.Error
			}
			printSummary(g.stdout, &sum)
			files, err := store.Files(cmd.Context(), r.ID)
			if err != nil {
				return err
			}
			for _, f := range files {
				fmt.Fprintf(g.stdout, "  file %s (%s, %d rows, %d bytes)\n", f.Final, f.State, f.Rows, f.Bytes)
			}
			return nil
		},
	})
	return cmd
}
