package reconcile

import (
	"context"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/leadpipe/leadpipe/config"
	"github.com/leadpipe/leadpipe/pipelines/state"
	"github.com/leadpipe/leadpipe/sinks/storage"
)

// Defaults.
const (
	DefaultNotSeenAfter = 24 * time.Hour
	DefaultStaleGrace   = time.Hour
)

// Formats of the report files.
const (
	FormatMarkdown = "markdown"
	FormatCSV      = "csv"
	FormatHTML     = "html"
)

// AllFormats is the default: every format.
var AllFormats = []string{FormatMarkdown, FormatCSV, FormatHTML}

// Options are one reconciliation: what to read, the report day, and where
// the files go. Run and Build take them; the CLI and the `reconcile:`
// pipeline kind fill them.
type Options struct {
	// Lake is the lake root: a directory, file:// or s3://bucket/prefix.
	Lake        string
	LakeStorage storage.Options
	// TableFiles lists the data files of a table (keys under Lake) when
	// the lake is a set of Iceberg tables, whose files only a snapshot
	// names; nil lists <Lake>/<table>/, the Parquet or CSV lake's layout.
	TableFiles func(ctx context.Context, table string) ([]string, error)
	// Store is the state store with the push ledger and the run journal.
	Store *state.Store
	// Out is where the report files are written (a directory, file:// or
	// s3://). Empty writes no files.
	Out        string
	OutStorage storage.Options
	// Formats of the files written to Out (default: all).
	Formats []string
	// Day is the report day (its date in Location is used); zero means
	// yesterday. The month to date runs from the 1st of Day's month to the
	// end of Day.
	Day      time.Time
	Location *time.Location
	// NotSeenAfter: a row the vendor accepted that the latest pull still
	// does not show after this long is an exception.
	NotSeenAfter time.Duration
	// StaleGrace is how long after a scheduled fire time a pipeline has to
	// succeed before it counts as stale.
	StaleGrace time.Duration
	// Pipelines are the scheduled pipelines checked for staleness.
	Pipelines []Scheduled
	// Now is the clock (default time.Now).
	Now func() time.Time
}

// Scheduled is a pipeline file the report checks: for staleness when it
// has a schedule, and for data when it names a vendor.
type Scheduled struct {
	Name     string
	Schedule string // "" when it has none
	Timezone string
	File     string
	Vendor   string // the connector it pulls from or pushes to ("" for a reconcile pipeline)
}

func (o *Options) now() time.Time {
	if o.Now != nil {
		return o.Now()
	}
	return time.Now()
}

func (o *Options) defaults() error {
	if o.Location == nil {
		o.Location = time.Local
	}
	if o.NotSeenAfter <= 0 {
		o.NotSeenAfter = DefaultNotSeenAfter
	}
	if o.StaleGrace <= 0 {
		o.StaleGrace = DefaultStaleGrace
	}
	if len(o.Formats) == 0 {
		o.Formats = AllFormats
	}
	for _, f := range o.Formats {
		if !slices.Contains(AllFormats, f) {
			return fmt.Errorf("reconcile: unknown format %q (use %s)", f, strings.Join(AllFormats, ", "))
		}
	}
	if o.Lake == "" {
		return fmt.Errorf("reconcile: no lake: give the lake's location (a directory, file:// or s3://)")
	}
	if o.Store == nil {
		return fmt.Errorf("reconcile: no state store")
	}
	return nil
}

// ParseDay reads a report day: YYYY-MM-DD, "yesterday" or "today" (in loc,
// relative to now). Empty is yesterday.
func ParseDay(s string, now time.Time, loc *time.Location) (time.Time, error) {
	n := now.In(loc)
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "", "yesterday":
		return time.Date(n.Year(), n.Month(), n.Day()-1, 0, 0, 0, 0, loc), nil
	case "today":
		return time.Date(n.Year(), n.Month(), n.Day(), 0, 0, 0, 0, loc), nil
	}
	d, err := time.ParseInLocation("2006-01-02", s, loc)
	if err != nil {
		return time.Time{}, fmt.Errorf("%q is not a day: use YYYY-MM-DD, yesterday or today", s)
	}
	return d, nil
}

// ScheduledFromFiles reads pipeline files (glob patterns, relative to dir)
// and returns every pipeline in them (with its schedule, if any). Files that cannot be parsed are
// reported together; a reconcile pipeline's own file may be among them.
func ScheduledFromFiles(patterns []string, dir string) ([]Scheduled, error) {
	var out []Scheduled
	var errs []string
	seen := map[string]bool{}
	for _, p := range patterns {
		if !filepath.IsAbs(p) && dir != "" {
			p = filepath.Join(dir, p)
		}
		matches, err := filepath.Glob(p)
		if err != nil {
			errs = append(errs, fmt.Sprintf("%s: %v", p, err))
			continue
		}
		if len(matches) == 0 {
			errs = append(errs, fmt.Sprintf("%s: matches no pipeline file", p))
		}
		for _, m := range matches {
			if seen[m] {
				continue
			}
			seen[m] = true
			f, err := config.ReadFile(m)
			if err != nil {
				errs = append(errs, err.Error())
				continue
			}
			pl := f.Pipeline
			if pl.Name == "" {
				continue
			}
			vendor := pl.Source.Connector
			if pl.Push != nil {
				vendor = pl.Push.Connector
			}
			out = append(out, Scheduled{Name: pl.Name, Schedule: pl.Schedule, Timezone: pl.Timezone, File: m, Vendor: vendor})
		}
	}
	if len(errs) > 0 {
		return out, fmt.Errorf("read scheduled pipelines: %s", strings.Join(errs, "; "))
	}
	return out, nil
}
