package main

import (
	"errors"
	"fmt"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/leadpipe/leadpipe/config"
	"github.com/leadpipe/leadpipe/pipelines"
	"github.com/leadpipe/leadpipe/pipelines/state"
)

// runDemoReconcile is the demo's last step: it runs the example reconcile
// pipeline for the demo's own day, writes the report into <lake>/reports/
// and prints its Markdown summary. Exceptions do not fail the demo: they are
// what the report is for.
func runDemoReconcile(cmd *cobra.Command, g *globals, dir, lake string, env map[string]string, lookup config.LookupEnv, store *state.Store) error {
	env["LEADPIPE_REPORTS"] = lake + "/reports"
	env["LEADPIPE_REPORT_DATE"] = "today"
	path := filepath.Join(dir, "pipelines", "reconcile.yaml")
	plan, err := pipelines.Load(cmd.Context(), path, lookup)
	if err != nil {
		return fmt.Errorf("example reconcile.yaml: %w", err)
	}
	sum, err := pipelines.Run(cmd.Context(), plan, store, pipelines.Options{})
	if sum != nil {
		printSummary(g.stdout, sum)
		fmt.Fprintln(g.stdout)
		if sum.Reconcile != nil {
			fmt.Fprintln(g.stdout, sum.Reconcile.Markdown)
		}
	}
	if err != nil && !errors.Is(err, pipelines.ErrExceptions) {
		return withCode(exitFailed, fmt.Errorf("example reconcile.yaml failed: %w", err))
	}
	return nil
}
