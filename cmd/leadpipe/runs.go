package main

import (
	"encoding/json"
	"fmt"
	"io"
	"regexp"
	"sort"
	"strings"
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
		Long: `Show the run history from the state store, newest first: when each run
started, how long it took and how it ended; the rows it wrote per table; for a
push, the rows submitted, rejected and failed; its HTTP requests, retries and
429 answers; and its error. ` + "`leadpipe runs show RUN_ID`" + ` gives one run in detail.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			store, err := g.openExistingState(nil)
			if err != nil {
				return err
			}
			defer store.Close()
			if err := knownPipeline(cmd.Context(), store, f.Pipeline); err != nil {
				return err
			}
			runs, err := store.Runs(cmd.Context(), f)
			if err != nil {
				return err
			}
			if len(runs) == 0 {
				fmt.Fprintf(g.stdout, "no runs recorded in %s\n", store.Path())
				return nil
			}
			tw := tabwriter.NewWriter(g.stdout, 0, 0, 2, ' ', 0)
			fmt.Fprintln(tw, "RUN\tPIPELINE\tKIND\tSTARTED\tDURATION\tSTATUS\tROWS\tPUSHED\tHTTP\tERROR")
			for _, r := range runs {
				var sum pipelines.Summary
				if len(r.Summary) > 0 {
					_ = json.Unmarshal(r.Summary, &sum)
				}
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", r.ID, r.Pipeline, r.Kind,
					r.StartedAt.Local().Format("2006-01-02 15:04:05"), runDuration(r), r.Status,
					rowsCell(&sum), pushedCell(&sum), httpCell(&sum), oneLine(r.Error, 150))
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
			store, err := g.openExistingState(nil)
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
			printRunRecord(g.stdout, r)
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

// runDuration is a finished run's duration, or how long a run has been
// going ("running 12s"; a run whose process died shows the same until the
// next run of its pipeline recovers it).
func runDuration(r state.Run) string {
	if r.FinishedAt.IsZero() {
		return "running " + time.Since(r.StartedAt).Round(time.Second).String()
	}
	return r.Duration().Round(time.Millisecond).String()
}

// rowsCell lists a run's rows per table: "leads=120 events=340".
func rowsCell(s *pipelines.Summary) string {
	if s.Push != nil {
		return fmt.Sprintf("%d input", s.Push.Total)
	}
	if len(s.Rows) == 0 {
		return "-"
	}
	tables := make([]string, 0, len(s.Rows))
	for t := range s.Rows {
		tables = append(tables, t)
	}
	sort.Strings(tables)
	parts := make([]string, len(tables))
	for i, t := range tables {
		parts[i] = fmt.Sprintf("%s=%d", t, s.Rows[t])
	}
	return strings.Join(parts, " ")
}

// pushedCell is a push run's outcome counts.
func pushedCell(s *pipelines.Summary) string {
	p := s.Push
	if p == nil {
		return "-"
	}
	out := fmt.Sprintf("%d submitted, %d rejected, %d failed", p.Submitted, p.Rejected, p.Failed)
	if p.NeedsHuman > 0 {
		out += fmt.Sprintf(", %d need a human", p.NeedsHuman)
	}
	if p.Waiting > 0 {
		out += fmt.Sprintf(", %d waiting", p.Waiting)
	}
	return out
}

// httpCell is a run's HTTP traffic: requests, retries and 429 answers.
func httpCell(s *pipelines.Summary) string {
	h := s.HTTP
	if h.Requests == 0 {
		return "-"
	}
	return fmt.Sprintf("%d req, %d retries, %d×429", h.Requests, h.Retries, h.RateLimited)
}

var urlPattern = regexp.MustCompile(`(https?://[^/\s]+)/[^\s:]*`)

// oneLine fits an error into a table cell: one line, URLs cut to their
// host, and, when still too long, its start (the step) and its end (the
// cause) around an ellipsis.
func oneLine(s string, n int) string {
	s = strings.Join(strings.Fields(s), " ")
	s = urlPattern.ReplaceAllString(s, "$1/…")
	if r := []rune(s); len(r) > n {
		half := (n - 3) / 2
		return string(r[:half]) + " … " + string(r[len(r)-half:])
	}
	return s
}

// printRunRecord adds what the journal knows beyond the summary.
func printRunRecord(w io.Writer, r state.Run) {
	fmt.Fprintf(w, "  started: %s", r.StartedAt.Local().Format("2006-01-02 15:04:05 MST"))
	if !r.FinishedAt.IsZero() {
		fmt.Fprintf(w, "  finished: %s", r.FinishedAt.Local().Format("2006-01-02 15:04:05 MST"))
	} else {
		fmt.Fprintf(w, "  (not finished: running, or its process died; the next run of %s recovers it)", r.Pipeline)
	}
	fmt.Fprintln(w)
	if r.PID != 0 {
		fmt.Fprintf(w, "  process: pid %d on %s\n", r.PID, r.Host)
	}
}
