package reconcile

import (
	"fmt"
	"slices"
	"strings"
	"time"
	_ "time/tzdata" // IANA zones even on hosts without /usr/share/zoneinfo

	"github.com/leadpipe/leadpipe/config"
	"github.com/leadpipe/leadpipe/sinks/storage"
)

// Config is the `reconcile:` block of a pipeline file: a pipeline that,
// instead of pulling or pushing, writes the reconciliation report.
//
//	name: nightly-reconcile
//	schedule: "30 6 * * *"
//	timezone: Australia/Sydney         # the report's "yesterday"
//	reconcile:
//	  lake: ${LEADPIPE_LAKE:-./lake}
//	  out: ./reports
//	  pipelines: ["*.yaml"]            # scheduled pipelines checked for staleness
//	  not_seen_after: 24h
//	  fail_on_exceptions: true          # the run fails (and alerts) on any exception
type Config struct {
	// Lake is the lake root the pull pipelines write (a directory, file://
	// or s3://bucket/prefix).
	Lake    string                `yaml:"lake"`
	Storage config.StorageOptions `yaml:"storage"`
	// Out is where the report files go.
	Out        string                `yaml:"out"`
	OutStorage config.StorageOptions `yaml:"out_storage"`
	// Formats: markdown, csv, html (default: all three).
	Formats []string `yaml:"formats" enum:"markdown,csv,html"`
	// Date is the report day: yesterday (default), today or YYYY-MM-DD.
	Date string `yaml:"date"`
	// NotSeenAfter: an accepted row the latest pull still does not show
	// after this long is an exception (default 24h).
	NotSeenAfter time.Duration `yaml:"not_seen_after"`
	// StaleGrace: how long after a scheduled time a pipeline has to succeed
	// (default 1h).
	StaleGrace time.Duration `yaml:"stale_grace"`
	// Pipelines are pipeline files (globs, relative to this file) whose
	// schedules are checked for staleness.
	Pipelines []string `yaml:"pipelines"`
	// FailOnExceptions makes the run fail when the report has exceptions,
	// so the scheduler's on_failure hook and cron alert.
	FailOnExceptions bool `yaml:"fail_on_exceptions"`
}

// Validate checks the block.
func (c *Config) Validate(v *config.Validator) {
	if c.Lake == "" {
		v.Errorf("lake", "is required: the lake the pull pipelines write (a directory, file:// or s3://bucket/prefix)")
	}
	if c.Out == "" {
		v.Errorf("out", "is required: where the report files go (a directory, file:// or s3://bucket/prefix)")
	}
	for i, f := range c.Formats {
		if !slices.Contains(AllFormats, f) {
			v.Errorf(fmt.Sprintf("formats[%d]", i), "must be one of %s, got %q", strings.Join(AllFormats, ", "), f)
		}
	}
	if _, err := ParseDay(c.Date, time.Now(), time.UTC); err != nil {
		v.Errorf("date", "%v", err)
	}
	if c.NotSeenAfter < 0 {
		v.Errorf("not_seen_after", "must not be negative")
	}
	if c.StaleGrace < 0 {
		v.Errorf("stale_grace", "must not be negative")
	}
}

// StorageOptions converts YAML storage settings.
func StorageOptions(o config.StorageOptions) storage.Options {
	return storage.Options{Region: o.Region, Endpoint: o.Endpoint, UsePathStyle: o.UsePathStyle, Profile: o.Profile}
}

// LoadLocation reads an IANA zone name; empty is the machine's zone.
func LoadLocation(name string) (*time.Location, error) {
	if name == "" {
		return time.Local, nil
	}
	loc, err := time.LoadLocation(name)
	if err != nil {
		return nil, fmt.Errorf("timezone %q is not an IANA zone name (e.g. Australia/Sydney, UTC)", name)
	}
	return loc, nil
}
