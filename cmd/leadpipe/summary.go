package main

import (
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/leadpipe/leadpipe/pipelines"
)

// printSummary writes the end-of-run summary a person reads.
func printSummary(w io.Writer, s *pipelines.Summary) {
	mark := "✓"
	status := s.Status
	switch {
	case s.Status == "failed", s.Status == "cancelled", s.Status == "rolled_back",
		s.Status == "failed_files_left", s.Status == "cancelled_files_left":
		mark = "✗"
	case s.Push != nil && s.Push.Unsent() > 0:
		// The run went to its end, but not every row is sent: never a ✓.
		mark = "!"
		if !s.DryRun {
			status = fmt.Sprintf("finished, %d of %d rows not sent", s.Push.Unsent(), s.Push.Total)
		}
	}
	if s.DryRun {
		status = "dry run (nothing written)"
	}
	fmt.Fprintf(w, "%s %s (%s) run %s: %s in %s\n", mark, s.Pipeline, s.Kind, s.RunID, status, s.Duration.Round(time.Millisecond))
	for _, r := range s.Recovered {
		fmt.Fprintf(w, "  recovered: %s\n", r)
	}
	if len(s.Rows) > 0 {
		tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
		fmt.Fprintln(tw, "  table\trows\tfiles\t")
		tables := make([]string, 0, len(s.Rows))
		for t := range s.Rows {
			tables = append(tables, t)
		}
		sort.Strings(tables)
		for _, t := range tables {
			files := 0
			for _, f := range s.Files {
				if f.Table == t {
					files++
				}
			}
			fmt.Fprintf(tw, "  %s\t%d\t%d\t\n", t, s.Rows[t], files)
		}
		tw.Flush()
	} else if s.Kind == "pull" && s.Error == "" {
		fmt.Fprintln(w, "  no new rows")
	}
	if rc := s.Reconcile; rc != nil {
		printReconcileSummary(w, rc)
	}
	if p := s.Push; p != nil {
		fmt.Fprintf(w, "  rows: %d  submitted: %d  skipped (already sent): %d  rejected: %d  failed: %d  needs a human: %d",
			p.Total, p.Submitted, p.SkippedDuplicate, p.Rejected, p.Failed, p.NeedsHuman)
		if p.Waiting > 0 {
			fmt.Fprintf(w, "  waiting: %d", p.Waiting)
		}
		fmt.Fprintln(w)
		if p.Receipts != "" {
			fmt.Fprintf(w, "  receipts: %s\n", p.Receipts)
		}
		if p.RejectsFile != "" {
			fmt.Fprintf(w, "  rejects:  %s\n", p.RejectsFile)
		}
		if p.Recovered > 0 {
			fmt.Fprintf(w, "  recovered: %d rows an interrupted run had sent were confirmed at the vendor, not resent\n", p.Recovered)
		}
		for _, h := range p.Human {
			fmt.Fprintf(w, "  NEEDS A HUMAN: %s\n", h)
		}
		if s.DryRun {
			fmt.Fprintf(w, "  would send: %d rows\n", p.WouldSend)
			for _, pv := range p.Previews {
				fmt.Fprintf(w, "  --- row %d (key %s): %s\n", pv.Row, pv.Key, pv.Action)
				if pv.Body != "" {
					fmt.Fprintf(w, "%s\n", indentText(pv.Body, "    "))
				}
			}
			if p.WouldSend > len(p.Previews) {
				fmt.Fprintf(w, "  ... and %d more rows\n", p.WouldSend-len(p.Previews))
			}
			for _, r := range p.RejectSamples {
				fmt.Fprintf(w, "  reject: %s\n", r)
			}
		}
	}
	if len(s.Files) > 0 {
		fmt.Fprintf(w, "  written to %s (%d files, %s)\n", s.Sink, len(s.Files), humanBytes(totalBytes(s)))
	}
	if len(s.Cursors) > 0 {
		names := make([]string, 0, len(s.Cursors))
		for n := range s.Cursors {
			names = append(names, n)
		}
		sort.Strings(names)
		var parts []string
		for _, n := range names {
			c := s.Cursors[n]
			from := c.From
			if from == "" {
				from = "start"
			}
			parts = append(parts, fmt.Sprintf("%s %s → %s", n, shortCursor(from), shortCursor(c.To)))
		}
		fmt.Fprintf(w, "  cursors: %s\n", strings.Join(parts, "; "))
	}
	h := s.HTTP
	if h.Requests > 0 {
		fmt.Fprintf(w, "  http: %d requests, %d retries, %d rate-limited; waited %s on rate limits and %s in retry backoff (wall time)\n",
			h.Requests, h.Retries, h.RateLimited, h.RateLimitWait.Round(time.Millisecond), h.BackoffWait.Round(time.Millisecond))
	}
	if len(s.Unknowns) == 0 {
		fmt.Fprintln(w, "  unknown vendor values: none")
	} else {
		var total int64
		for _, u := range s.Unknowns {
			total += u.Count
		}
		fmt.Fprintf(w, "  unknown vendor values: %d (kept raw, mapped to the nearest safe value)\n", total)
		for _, u := range s.Unknowns {
			fmt.Fprintf(w, "    %s %s = %q ×%d\n", u.Vendor, u.Field, u.Value, u.Count)
		}
	}
	if len(s.Invalid) > 0 {
		var total int64
		for _, u := range s.Invalid {
			total += u.Count
		}
		fmt.Fprintf(w, "  invalid vendor values: %d (left out of their column, kept raw in attributes)\n", total)
		for _, u := range s.Invalid {
			fmt.Fprintf(w, "    %s %s: %s ×%d\n", u.Vendor, u.Field, u.Value, u.Count)
		}
	}
	for _, n := range s.Notes {
		fmt.Fprintf(w, "  note: %s\n", n)
	}
	if s.Error != "" {
		fmt.Fprintf(w, "  error: %s\n", s.Error)
	}
	// The last line says what remains and what to do about it.
	if p := s.Push; p != nil && s.Error == "" {
		switch {
		case s.DryRun && p.Rejected > 0:
			fmt.Fprintf(w, "→ a real run would send %d rows; %d would be rejected: fix them first\n", p.WouldSend, p.Rejected)
		case s.DryRun:
			fmt.Fprintf(w, "→ a real run would send %d rows\n", p.WouldSend)
		default:
			fmt.Fprintf(w, "→ %s\n", p.Remains(s.Pipeline))
		}
	}
}

func totalBytes(s *pipelines.Summary) int64 {
	var n int64
	for _, f := range s.Files {
		n += f.Bytes
	}
	return n
}

func humanBytes(n int64) string {
	switch {
	case n >= 1<<30:
		return fmt.Sprintf("%.1f GiB", float64(n)/(1<<30))
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.1f KiB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d B", n)
}

// shortCursor shows the time of a cursor that carries one ({"at": ...})
// rather than its whole bookkeeping.
func shortCursor(c string) string {
	var v struct {
		At string `json:"at"`
	}
	if strings.HasPrefix(c, "{") && json.Unmarshal([]byte(c), &v) == nil && v.At != "" {
		return v.At
	}
	if len(c) > 48 {
		return c[:40] + fmt.Sprintf("… (%d bytes)", len(c))
	}
	return c
}

func indentText(s, prefix string) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	for i, l := range lines {
		lines[i] = prefix + l
	}
	return strings.Join(lines, "\n")
}
