// Package schedule runs pipelines on cron schedules in one long-lived
// process (`leadpipe schedule`). It is built on robfig/cron/v3 and adds what
// running lending pipelines in production needs:
//
//   - every schedule has an explicit time zone (`timezone:` or a CRON_TZ=
//     prefix), and daylight-saving changes follow that zone;
//   - a run still going when its next tick fires is skipped, not stacked
//     (cron.SkipIfStillRunning);
//   - a panic in a run is recovered and reported (cron.Recover) and never
//     stops the scheduler;
//   - each schedule fires at a stable offset (jitter) derived from the
//     pipeline's name, so that pipelines sharing a spec do not hit a vendor
//     in the same second;
//   - Stop stops new runs and waits for the runs in flight.
//
// The package knows nothing about pipelines: a Job is a name, a Spec and a
// function.
package schedule

import (
	"errors"
	"fmt"
	"hash/fnv"
	"strings"
	"time"
	_ "time/tzdata" // IANA zones even on hosts without /usr/share/zoneinfo

	"github.com/robfig/cron/v3"
)

// DefaultJitter is the largest offset added to a schedule when none is
// configured. It is further capped at a tenth of the schedule's interval.
const DefaultJitter = 30 * time.Second

// ParseOptions change how a spec is read.
type ParseOptions struct {
	// Location is the zone of a spec that names none (no timezone, no
	// CRON_TZ=). Nil means the machine's local zone.
	Location *time.Location
	// Seconds makes specs start with a seconds field (6 fields). Tests use
	// it to fire every second; pipeline files always have 5 fields.
	Seconds bool
}

// Spec is a parsed schedule in its zone.
type Spec struct {
	Expr     string         // the cron expression, without any CRON_TZ= prefix
	Location *time.Location // the zone the expression is read in
	// Offset is added to every fire time (see WithJitter).
	Offset time.Duration
	inner  cron.Schedule
}

const specHelp = "use 5 fields (minute hour day-of-month month day-of-week, e.g. \"0 2 * * *\" or \"*/15 * * * *\") " +
	"or one of @hourly, @daily, @weekly, @monthly, @every 30m"

// Parse reads a cron spec and an optional IANA time zone. The spec may start
// with CRON_TZ=Area/City (or TZ=) instead of the separate zone; giving two
// different zones is an error. Error messages are meant for the person who
// wrote the pipeline file.
func Parse(expr, timezone string, opts ParseOptions) (*Spec, error) {
	expr = strings.TrimSpace(expr)
	timezone = strings.TrimSpace(timezone)
	if expr == "" {
		return nil, errors.New("is empty; " + specHelp)
	}
	if strings.HasPrefix(expr, "TZ=") || strings.HasPrefix(expr, "CRON_TZ=") {
		eq := strings.Index(expr, "=")
		sp := strings.IndexAny(expr, " \t")
		if sp < 0 {
			return nil, fmt.Errorf("%q has a time zone but no schedule after it; %s", expr, specHelp)
		}
		tz := expr[eq+1 : sp]
		if timezone != "" && timezone != tz {
			return nil, fmt.Errorf("sets %s and timezone: sets %s; keep one of them", expr[:sp], timezone)
		}
		timezone, expr = tz, strings.TrimSpace(expr[sp:])
	}
	loc := opts.Location
	if loc == nil {
		loc = time.Local
	}
	if timezone != "" {
		l, err := LoadLocation(timezone)
		if err != nil {
			return nil, err
		}
		loc = l
	}
	fields := cron.Minute | cron.Hour | cron.Dom | cron.Month | cron.Dow | cron.Descriptor
	if opts.Seconds {
		fields |= cron.Second
	}
	sched, err := cron.NewParser(fields).Parse(expr)
	if err != nil {
		return nil, fmt.Errorf("%q is not a valid schedule (%v); %s", expr, err, specHelp)
	}
	if ss, ok := sched.(*cron.SpecSchedule); ok {
		// The spec is matched against wall-clock time (see Next), which
		// this package represents as UTC.
		ss.Location = time.UTC
	}
	s := &Spec{Expr: expr, Location: loc, inner: sched}
	if s.Next(time.Now()).IsZero() {
		return nil, fmt.Errorf("%q never fires (no such date in the next five years)", expr)
	}
	return s, nil
}

// LoadLocation loads an IANA zone ("Australia/Sydney", "UTC", "Local") with
// an error that says what is expected.
func LoadLocation(name string) (*time.Location, error) {
	if name == "" {
		return nil, errors.New("time zone is empty")
	}
	loc, err := time.LoadLocation(name)
	if err != nil {
		return nil, fmt.Errorf("unknown time zone %q: use an IANA name such as Australia/Sydney, Pacific/Auckland or UTC", name)
	}
	return loc, nil
}

// Next returns the first fire time strictly after t, in the spec's zone, or
// the zero time if there is none.
//
// A 5-field spec is matched against the wall clock of the spec's zone, and
// each wall-clock time fires once: when daylight saving skips a time (02:30
// on the night the clocks go forward), the run fires right after the change;
// when a time happens twice (the night they go back), it fires once. (cron
// itself would skip the first and run the second twice.)
func (s *Spec) Next(t time.Time) time.Time {
	n := s.base(t.Add(-s.Offset))
	if n.IsZero() {
		return n
	}
	return n.Add(s.Offset).In(s.Location)
}

// base is the next fire time without the jitter offset.
func (s *Spec) base(t time.Time) time.Time {
	if _, ok := s.inner.(*cron.SpecSchedule); !ok {
		return s.inner.Next(t) // @every: a fixed delay in absolute time
	}
	wall := func(x time.Time) time.Time {
		return time.Date(x.Year(), x.Month(), x.Day(), x.Hour(), x.Minute(), x.Second(), x.Nanosecond(), time.UTC)
	}
	naive := wall(t.In(s.Location))
	for range 1000 {
		naive = s.inner.Next(naive)
		if naive.IsZero() {
			return naive
		}
		n := time.Date(naive.Year(), naive.Month(), naive.Day(), naive.Hour(), naive.Minute(), naive.Second(), 0, s.Location)
		if n.After(t) {
			return n
		}
	}
	return time.Time{}
}

// NextN returns the next n fire times after t.
func (s *Spec) NextN(t time.Time, n int) []time.Time {
	out := make([]time.Time, 0, n)
	for range n {
		t = s.Next(t)
		if t.IsZero() {
			break
		}
		out = append(out, t)
	}
	return out
}

// interval is the shortest gap between the next fire times after t: cron
// intervals vary ("0,5 * * * *"), and the jitter cap needs the shortest.
func (s *Spec) interval(t time.Time) time.Duration {
	var short time.Duration
	a := s.base(t)
	for range 16 {
		if a.IsZero() {
			break
		}
		b := s.base(a)
		if b.IsZero() {
			break
		}
		if d := b.Sub(a); short == 0 || d < short {
			short = d
		}
		a = b
	}
	return short
}

// WithJitter returns a copy of the spec whose fire times are shifted by a
// stable offset in [0, max): the same name always gets the same offset, so
// `leadpipe validate` can show the real times, and different names spread
// over the window. The offset is capped at a tenth of the schedule's
// interval, so a 15-minute schedule keeps firing every 15 minutes.
func (s *Spec) WithJitter(name string, max time.Duration) *Spec {
	c := *s
	c.Offset = 0
	if iv := s.interval(time.Now()); iv > 0 && max > iv/10 {
		max = iv / 10
	}
	if max <= 0 {
		return &c
	}
	h := fnv.New64a()
	h.Write([]byte(name))
	step := time.Millisecond
	if max < 100*time.Millisecond {
		step = time.Microsecond
	}
	n := int64(max / step)
	if n <= 0 {
		return &c
	}
	c.Offset = time.Duration(h.Sum64()%uint64(n)) * step
	return &c
}

// Zone names the spec's zone for people: "Australia/Sydney", or for the
// machine's zone "Local (AEDT)".
func (s *Spec) Zone() string {
	if s.Location == time.Local {
		name, _ := time.Now().In(time.Local).Zone()
		return "Local (" + name + ")"
	}
	return s.Location.String()
}

// String describes the spec for people: "0 2 * * * (Australia/Sydney)".
func (s *Spec) String() string {
	out := fmt.Sprintf("%s (%s)", s.Expr, s.Zone())
	if s.Offset > 0 {
		out += fmt.Sprintf(" +%s jitter", s.Offset.Round(time.Millisecond))
	}
	return out
}
