package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/leadpipe/leadpipe/config"
	"github.com/leadpipe/leadpipe/pipelines"
	"github.com/leadpipe/leadpipe/reconcile"
)

// exitExceptions is the exit status of `leadpipe reconcile
// --fail-on-exceptions` when the report has exceptions: the report was made,
// and someone must look at it.
const exitExceptions = 4

func newReconcileCmd(g *globals) *cobra.Command {
	var (
		lake, out, date, tz string
		notSeen, grace      time.Duration
		patterns, formats   []string
		failOnExc, quiet    bool
	)
	cmd := &cobra.Command{
		Use:   "reconcile [PIPELINE_FILE]",
		Short: "Write the reconciliation report: submitted vs received, funnel, funded and commission, repayments, exceptions",
		Long: `Reconcile what leadpipe sent with what each vendor says now, from leadpipe's
own state (push ledger, receipts, run history) and the latest pulled data in
the lake, for a day (default: yesterday in --timezone) and the month to date:

  submissions  sent, accepted, refused, rejected (with reasons), waiting,
               found at the vendor; totals only within one kind
  funnel       leads by canonical status, conversion from submitted to funded
  funded       amounts funded and commission, per vendor and currency, and by
               day; only loans with a funding date (the vendor's, or a payout
               leadpipe confirmed); the others listed as "tracked from"
  repayments   repayments inserted at Iute against the loans' repaid balance,
               with the balance's evidence for those with an unknown outcome
  exceptions   rows not seen at the vendor after --not-seen-after, repayment
               differences, pushes with an unknown outcome, stale pipelines,
               unknown vendor values, vendors with a pipeline but no data

The Markdown summary is printed; with --out the Markdown, one CSV per section
and a self-contained HTML page with charts are written there (a directory,
file:// or s3://). Given a pipeline file with a reconcile: block, its settings
are used and flags override them.

A lake with no data file is an error (exit status 2, naming the path), never
a clean report; a vendor that has a pipeline (a push in the ledger, or a file
given with --pipelines) but no data in the lake is an exception.

Exit status: 0, or 4 with --fail-on-exceptions when there is any exception;
2 for an empty lake or no state store; 1 when the report could not be made.`,
		Example: `  leadpipe reconcile --lake ./lake --out ./reports
  leadpipe reconcile --lake s3://lake/prod --out s3://lake/reports --timezone Australia/Sydney --fail-on-exceptions
  leadpipe reconcile --date 2026-11-21 --pipelines 'pipelines/*.yaml'
  leadpipe reconcile pipelines/reconcile.yaml --date today`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			now := time.Now()
			var o reconcile.Options
			if len(args) == 1 {
				plan, err := pipelines.Load(cmd.Context(), args[0], config.OSEnv)
				if err != nil {
					return err
				}
				if plan.Reconcile == nil {
					return withCode(exitInvalid, fmt.Errorf("%s is a %s pipeline, not a reconcile pipeline (it has no reconcile: block)", args[0], plan.Kind()))
				}
				store, err := g.openExistingState(plan.File)
				if err != nil {
					return err
				}
				defer store.Close()
				if o, err = plan.Reconcile.Options(store, now); err != nil {
					return withCode(exitInvalid, err)
				}
				if !cmd.Flags().Changed("fail-on-exceptions") {
					failOnExc = plan.Reconcile.Config.FailOnExceptions
				}
			} else {
				store, err := g.openExistingState(nil)
				if err != nil {
					return err
				}
				defer store.Close()
				o = reconcile.Options{Store: store, Now: func() time.Time { return now }}
				if !cmd.Flags().Changed("lake") {
					if lake, err = defaultLake(); err != nil {
						return err
					}
				}
				o.Lake, o.Out = lake, out
			}
			fl := cmd.Flags()
			if fl.Changed("lake") {
				o.Lake = lake
			}
			if fl.Changed("out") {
				o.Out = out
			}
			if fl.Changed("timezone") || o.Location == nil {
				loc, err := reconcile.LoadLocation(tz)
				if err != nil {
					return withCode(exitInvalid, fmt.Errorf("--timezone: %w", err))
				}
				o.Location = loc
			}
			if fl.Changed("date") || fl.Changed("timezone") || o.Day.IsZero() {
				d, err := reconcile.ParseDay(date, now, o.Location)
				if err != nil {
					return withCode(exitInvalid, fmt.Errorf("--date: %w", err))
				}
				o.Day = d
			}
			if fl.Changed("not-seen-after") {
				o.NotSeenAfter = notSeen
			}
			if fl.Changed("stale-grace") {
				o.StaleGrace = grace
			}
			if fl.Changed("format") {
				o.Formats = nil
				for _, f := range formats {
					for _, p := range strings.Split(f, ",") {
						if p = strings.TrimSpace(p); p == "md" {
							p = reconcile.FormatMarkdown
						}
						o.Formats = append(o.Formats, strings.TrimSpace(p))
					}
				}
			}
			if fl.Changed("pipelines") {
				sched, err := reconcile.ScheduledFromFiles(patterns, "")
				if err != nil {
					return withCode(exitInvalid, fmt.Errorf("--pipelines: %w", err))
				}
				o.Pipelines = sched
			}
			if err := pipelines.ReadIcebergLake(cmd.Context(), &o); err != nil {
				return withCode(exitFailed, err)
			}
			res, err := reconcile.Run(cmd.Context(), o)
			if errors.Is(err, reconcile.ErrEmptyLake) {
				return withCode(exitInvalid, err) // a wrong --lake, most likely: never a clean report
			}
			if err != nil {
				return withCode(exitFailed, err)
			}
			if !quiet {
				fmt.Fprint(g.stdout, res.Report.Markdown())
			}
			for _, f := range res.Files {
				fmt.Fprintf(g.stderr, "wrote %s\n", f)
			}
			if failOnExc && len(res.Report.Exceptions) > 0 {
				return withCode(exitExceptions, fmt.Errorf("%s", res.Report.ExceptionSummary()))
			}
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&lake, "lake", "", "the lake: a directory, file:// or s3://bucket/prefix (default: $LEADPIPE_LAKE, else the project's lake: in leadpipe.yaml, else lake/ in the project's directory)")
	f.StringVar(&out, "out", "", "write the report files here (a directory, file:// or s3://); default: print only")
	f.StringVar(&date, "date", "yesterday", "the report day: yesterday, today or YYYY-MM-DD")
	f.StringVar(&tz, "timezone", "", "IANA zone of the report day (default: the machine's)")
	f.DurationVar(&notSeen, "not-seen-after", reconcile.DefaultNotSeenAfter, "an accepted row the latest pull does not show after this long is an exception")
	f.DurationVar(&grace, "stale-grace", reconcile.DefaultStaleGrace, "how long after a scheduled time a pipeline has to succeed before it is stale")
	f.StringSliceVar(&patterns, "pipelines", nil, "pipeline files (globs) whose schedules are checked for staleness")
	f.StringSliceVar(&formats, "format", nil, "files to write: markdown, csv, html (default: all)")
	f.BoolVar(&failOnExc, "fail-on-exceptions", false, "exit with status 4 when the report has any exception (for cron and CI alerts)")
	f.BoolVarP(&quiet, "quiet", "q", false, "do not print the Markdown summary")
	return cmd
}

// printReconcileSummary is the reconcile part of a run summary.
func printReconcileSummary(w io.Writer, rc *pipelines.ReconcileSummary) {
	fmt.Fprintf(w, "  report of %s: %d exceptions", rc.Day, rc.Exceptions)
	if len(rc.ByKind) > 0 {
		kinds := make([]string, 0, len(rc.ByKind))
		for k, n := range rc.ByKind {
			kinds = append(kinds, fmt.Sprintf("%s %d", k, n))
		}
		sort.Strings(kinds)
		fmt.Fprintf(w, " (%s)", strings.Join(kinds, ", "))
	}
	fmt.Fprintln(w)
	for _, f := range rc.Files {
		fmt.Fprintf(w, "  wrote %s\n", f)
	}
}

// defaultLake is the lake `leadpipe reconcile` reads without --lake or a
// pipeline file: $LEADPIPE_LAKE, else the project's `lake:`, else lake/ in
// the project's root (the working directory when there is no project file).
func defaultLake() (string, error) {
	if v := os.Getenv("LEADPIPE_LAKE"); v != "" {
		return v, nil
	}
	p, err := config.FindProject(".", config.OSEnv)
	if err != nil {
		return "", withCode(exitInvalid, err)
	}
	if l := p.LakePath(); l != "" {
		return l, nil
	}
	return filepath.Join(p.Dir, "lake"), nil
}
