package main

import (
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/leadpipe/leadpipe/config"
	"github.com/leadpipe/leadpipe/daemon"
	"github.com/leadpipe/leadpipe/pipelines"
	"github.com/leadpipe/leadpipe/pipelines/state"
)

func newRunCmd(g *globals) *cobra.Command {
	var opts pipelines.Options
	var grace time.Duration
	alerts := &daemon.Alerter{Repeat: daemon.DefaultAlertRepeat}
	cmd := &cobra.Command{
		Use:   "run FILE...",
		Short: "Run pipelines once",
		Long: `Run each pipeline file once, in order, and print a summary of what it did.

A pull pipeline resumes from the cursors its last committed run left in the
state store; --full-refresh ignores them and reads everything again (the new
rows are appended: readers take the latest row per *_uid). A push pipeline
sends only the rows its ledger has not seen.

--dry-run reads and validates everything and writes nothing: no files, no
cursor, no ledger entry, and for a push, no request to the vendor.

On SIGTERM or Ctrl-C no further pipeline starts. A push sends no new row,
finishes the rows in flight and records them; a pull goes on, since it commits
all or nothing. Whatever has not finished when --grace is over (or at a second
signal) stops and rolls back.

Exit status 0: everything finished and committed, and every row of a push
is sent or was sent before (or waits for the vendor to accept it); 1: a run
failed; 5: something was stopped (rolled back, or a push stopped after the
rows in flight) and a rerun finishes it; 6: a push ran to its end but left
rows unsent: rejected, refused by the vendor, with an unknown outcome, or
needing a human (the summary's last line says what to do).

A failed run, and a push that left rows unsent, posts its summary to the
pipeline's on_failure: webhook when the pipeline starts failing, again every
--alert-repeat while it keeps failing, and once more when it recovers (the
state store remembers, so a cron job does not alert on every run). A dry run
alerts on nothing.`,
		Example: `  leadpipe run examples/lumi.yaml
  leadpipe run --full-refresh pipelines/*.yaml
  leadpipe run --dry-run --limit 20 examples/backfill-lumi.yaml`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			log, err := g.logger()
			if err != nil {
				return err
			}
			opts.Logger = log
			alerts.Log = log
			if alerts.Repeat < 0 {
				return withCode(exitInvalid, errors.New("--alert-repeat: must not be negative"))
			}
			g.shutdown.Graceful(grace, log)
			opts.Stop = g.shutdown.Stopping()
			var failed, stopped, unsent []string
			for i, path := range args {
				if g.shutdown.stopping() {
					stopped = append(stopped, args[i:]...)
					break
				}
				if err := runOne(cmd, g, path, opts, alerts); err != nil {
					var probs config.Problems
					var ee *exitError
					if errors.As(err, &probs) || errors.Is(err, state.ErrLocked) || len(args) == 1 {
						return err
					}
					fmt.Fprintf(g.stderr, "error: %s: %v\n", path, err)
					if errors.As(err, &ee) && ee.code == exitInterrupted {
						stopped = append(stopped, path)
						continue
					}
					if errors.As(err, &ee) && ee.code == exitRowsLeft {
						unsent = append(unsent, path)
						continue
					}
					failed = append(failed, path)
				}
			}
			if len(stopped) > 0 {
				return withCode(exitInterrupted, fmt.Errorf("stopped by %s; not run to the end: %s (rerun them; nothing was half-written)",
					g.shutdown.Signal(), strings.Join(stopped, ", ")))
			}
			if len(failed) > 0 {
				return withCode(exitFailed, fmt.Errorf("%d of %d pipelines failed: %s", len(failed), len(args), strings.Join(failed, ", ")))
			}
			if len(unsent) > 0 {
				return withCode(exitRowsLeft, fmt.Errorf("%d of %d pushes left rows unsent: %s", len(unsent), len(args), strings.Join(unsent, ", ")))
			}
			return nil
		},
	}
	cmd.Flags().BoolVar(&opts.FullRefresh, "full-refresh", false, "ignore saved cursors and read everything again")
	cmd.Flags().BoolVar(&opts.DryRun, "dry-run", false, "read and validate, but write and send nothing")
	cmd.Flags().IntVar(&opts.Limit, "limit", 0, "push only the first N input rows (a trial run)")
	cmd.Flags().DurationVar(&alerts.Repeat, "alert-repeat", daemon.DefaultAlertRepeat, "while a pipeline keeps failing, the least time between two of its on_failure alerts (0: every failing run alerts)")
	cmd.Flags().DurationVar(&grace, "grace", defaultGrace, "on SIGTERM/SIGINT, how long a run in flight may take to finish before it is stopped and rolled back")
	return cmd
}

func runOne(cmd *cobra.Command, g *globals, path string, opts pipelines.Options, alerts *daemon.Alerter) error {
	plan, err := pipelines.Load(cmd.Context(), path, config.OSEnv)
	if err != nil {
		return err
	}
	for _, w := range plan.Warnings {
		fmt.Fprintln(g.stderr, w.String())
	}
	store, err := g.openState(plan.File)
	if err != nil {
		return err
	}
	defer store.Close()
	if g.stderrIsTTY() {
		opts.Progress = progressLine(g.stderr, plan.Name())
	}
	res := daemon.RunOnce(cmd.Context(), plan, store, opts, alerts, func(res daemon.Result) {
		if opts.Progress != nil {
			clearLine(g.stderr)
		}
		if res.Summary != nil {
			printSummary(g.stdout, res.Summary)
		}
	})
	switch res.Outcome {
	case daemon.OutcomeLocked:
		return res.Err
	case daemon.OutcomeStopped:
		return withCode(exitInterrupted, fmt.Errorf("pipeline %s stopped: %w", plan.Name(), res.Err))
	case daemon.OutcomeFailed:
		return withCode(exitFailed, fmt.Errorf("pipeline %s failed: %w", plan.Name(), res.Err))
	case daemon.OutcomeRowsNotSent:
		return withCode(exitRowsLeft, fmt.Errorf("pipeline %s: %w", plan.Name(), res.Err))
	}
	return nil
}

// progressLine draws one self-overwriting status line on a terminal.
func progressLine(w io.Writer, name string) pipelines.ProgressFunc {
	return func(p pipelines.Progress) {
		secs := p.Elapsed.Seconds()
		rate := 0.0
		if secs > 0 {
			rate = float64(p.Rows) / secs
		}
		line := fmt.Sprintf("%s: %d rows", name, p.Rows)
		if p.Total > 0 {
			line = fmt.Sprintf("%s: %d/%d rows (%.0f%%)", name, p.Rows, p.Total, 100*float64(p.Rows)/float64(p.Total))
		}
		line += fmt.Sprintf(", %.0f rows/s, %s", rate, p.Elapsed.Round(time.Second))
		if p.ETA > 0 {
			line += fmt.Sprintf(", ETA %s", p.ETA.Round(time.Second))
		}
		if p.Phase != "" {
			line += ", " + p.Phase
		}
		if p.Detail != "" {
			line += ", " + p.Detail
		}
		fmt.Fprintf(w, "\r\x1b[K%s", line)
	}
}

func clearLine(w io.Writer) { fmt.Fprint(w, "\r\x1b[K") }
