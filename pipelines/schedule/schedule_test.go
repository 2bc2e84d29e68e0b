package schedule_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/leadpipe/leadpipe/pipelines/schedule"
)

func mustParse(t *testing.T, expr, tz string, opts schedule.ParseOptions) *schedule.Spec {
	t.Helper()
	s, err := schedule.Parse(expr, tz, opts)
	if err != nil {
		t.Fatalf("Parse(%q, %q): %v", expr, tz, err)
	}
	return s
}

func TestParseAcceptsStandardSpecsAndRejectsBadOnes(t *testing.T) {
	utc := schedule.ParseOptions{Location: time.UTC}
	for _, expr := range []string{"0 2 * * *", "*/15 * * * *", "@hourly", "@daily", "30 6 * * 1-5", "CRON_TZ=Australia/Sydney 0 2 * * *", "TZ=UTC @daily"} {
		if _, err := schedule.Parse(expr, "", utc); err != nil {
			t.Errorf("%q: %v", expr, err)
		}
	}
	for _, tc := range []struct{ expr, tz, want string }{
		{"0 2 * *", "", "expected exactly 5 fields"},
		{"61 * * * *", "", "above maximum"},
		{"* * * * * *", "", "expected exactly 5 fields"}, // seconds only in tests
		{"@sometimes", "", "not a valid schedule"},
		{"", "", "is empty"},
		{"0 2 * * *", "Australia/Sydny", `unknown time zone "Australia/Sydny"`},
		{"CRON_TZ=Mars/Olympus 0 2 * * *", "", `unknown time zone "Mars/Olympus"`},
		{"CRON_TZ=Australia/Sydney 0 2 * * *", "Pacific/Auckland", "keep one of them"},
		{"0 0 30 2 *", "", "never fires"},
	} {
		_, err := schedule.Parse(tc.expr, tc.tz, utc)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("Parse(%q, %q) = %v, want an error containing %q", tc.expr, tc.tz, err, tc.want)
		}
	}
	// The same zone twice is fine.
	if _, err := schedule.Parse("CRON_TZ=Australia/Sydney 0 2 * * *", "Australia/Sydney", utc); err != nil {
		t.Error(err)
	}
}

func TestTimezonesAreHonored(t *testing.T) {
	syd, err := time.LoadLocation("Australia/Sydney")
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []*schedule.Spec{
		mustParse(t, "0 2 * * *", "Australia/Sydney", schedule.ParseOptions{Location: time.UTC}),
		mustParse(t, "CRON_TZ=Australia/Sydney 0 2 * * *", "", schedule.ParseOptions{Location: time.UTC}),
		mustParse(t, "0 2 * * *", "", schedule.ParseOptions{Location: syd}), // the scheduler's default zone
	} {
		for _, tc := range []struct{ after, want string }{
			{"2026-11-22T00:00:00Z", "2026-11-22T15:00:00Z"}, // summer: AEDT, UTC+11
			{"2026-06-10T00:00:00Z", "2026-06-10T16:00:00Z"}, // winter: AEST, UTC+10
		} {
			after, _ := time.Parse(time.RFC3339, tc.after)
			want, _ := time.Parse(time.RFC3339, tc.want)
			if got := s.Next(after); !got.Equal(want) {
				t.Errorf("%s: next after %s = %s, want %s", s, tc.after, got.UTC(), tc.want)
			}
			if got := s.Next(after); got.Location().String() != syd.String() || got.Hour() != 2 || got.Minute() != 0 {
				t.Errorf("%s: next = %s, want 02:00 in Sydney", s, got)
			}
		}
	}
	// The same spec without a zone runs at 02:00 UTC.
	s := mustParse(t, "0 2 * * *", "", schedule.ParseOptions{Location: time.UTC})
	if got := s.Next(time.Date(2026, 11, 22, 0, 0, 0, 0, time.UTC)); !got.Equal(time.Date(2026, 11, 22, 2, 0, 0, 0, time.UTC)) {
		t.Errorf("UTC: next = %s", got)
	}
	// A nightly run fires once per day across the daylight-saving changes
	// (Sydney: on 2026-04-05 03:00 AEDT becomes 02:00 AEST, so 02:00 happens
	// twice; on 2026-10-04 02:00 AEST becomes 03:00 AEDT, so 02:00 never
	// happens and the run fires right after the change).
	syd2 := mustParse(t, "0 2 * * *", "Australia/Sydney", schedule.ParseOptions{})
	for _, day := range []time.Time{time.Date(2026, 4, 3, 12, 0, 0, 0, syd), time.Date(2026, 10, 2, 12, 0, 0, 0, syd)} {
		times := syd2.NextN(day, 4)
		if len(times) != 4 {
			t.Fatalf("around %s: %v", day, times)
		}
		for i := 1; i < len(times); i++ {
			if gap := times[i].Sub(times[i-1]); gap < 22*time.Hour || gap > 26*time.Hour {
				t.Errorf("around %s: runs at %v: a gap of %s", day.Format("2006-01-02"), times, gap)
			}
			if times[i].Day() == times[i-1].Day() {
				t.Errorf("two runs on %s", times[i].Format("2006-01-02"))
			}
		}
	}
	if got := syd2.Next(time.Date(2026, 10, 3, 12, 0, 0, 0, syd)); !got.Equal(time.Date(2026, 10, 4, 3, 0, 0, 0, syd)) {
		t.Errorf("on the night the clocks go forward, the 02:00 run fires at %s, want 03:00 AEDT", got)
	}
	// A 15-minute schedule keeps its rhythm through the skipped hour.
	q := mustParse(t, "*/15 * * * *", "Australia/Sydney", schedule.ParseOptions{})
	times := q.NextN(time.Date(2026, 10, 4, 1, 50, 0, 0, syd), 6)
	for i := 1; i < len(times); i++ {
		if gap := times[i].Sub(times[i-1]); gap != 15*time.Minute {
			t.Errorf("15-minute schedule across the change: %v", times)
			break
		}
	}
}

func TestJitterIsStableBoundedAndSpreads(t *testing.T) {
	base := mustParse(t, "0 2 * * *", "UTC", schedule.ParseOptions{})
	a1 := base.WithJitter("lumi", 30*time.Second)
	a2 := base.WithJitter("lumi", 30*time.Second)
	b := base.WithJitter("lofty", 30*time.Second)
	if a1.Offset != a2.Offset {
		t.Errorf("the offset of one name changed: %s then %s", a1.Offset, a2.Offset)
	}
	if a1.Offset == b.Offset {
		t.Errorf("two pipelines got the same offset %s", a1.Offset)
	}
	for _, s := range []*schedule.Spec{a1, b} {
		if s.Offset < 0 || s.Offset >= 30*time.Second {
			t.Errorf("offset %s is outside [0, 30s)", s.Offset)
		}
		after := time.Date(2026, 11, 22, 0, 0, 0, 0, time.UTC)
		if got, want := s.Next(after), base.Next(after).Add(s.Offset); !got.Equal(want) {
			t.Errorf("next = %s, want %s", got, want)
		}
		// Just before the shifted time it is still the same fire time.
		if got := s.Next(base.Next(after)); !got.Equal(base.Next(after).Add(s.Offset)) {
			t.Errorf("at the unshifted time: next = %s", got)
		}
	}
	// The jitter never exceeds a tenth of the interval: 15 minutes stays 15.
	q := mustParse(t, "*/15 * * * *", "UTC", schedule.ParseOptions{}).WithJitter("crm", time.Hour)
	if q.Offset >= 90*time.Second {
		t.Errorf("offset %s for a 15-minute schedule", q.Offset)
	}
	times := q.NextN(time.Now(), 3)
	if len(times) != 3 || times[1].Sub(times[0]) != 15*time.Minute || times[2].Sub(times[1]) != 15*time.Minute {
		t.Errorf("jittered 15-minute schedule fires at %v", times)
	}
	if z := base.WithJitter("x", 0); z.Offset != 0 {
		t.Errorf("no jitter asked, offset %s", z.Offset)
	}
}

// everySecond is a seconds-level spec, for tests only.
func everySecond(t *testing.T) *schedule.Spec {
	return mustParse(t, "* * * * * *", "UTC", schedule.ParseOptions{Seconds: true})
}

type events struct {
	mu      sync.Mutex
	skips   []string
	panics  []error
	skipped chan string
	panicky chan error
}

func newEvents() *events {
	return &events{skipped: make(chan string, 100), panicky: make(chan error, 100)}
}

func (e *events) opts() schedule.Options {
	return schedule.Options{
		OnSkip: func(name, reason string) {
			e.mu.Lock()
			e.skips = append(e.skips, name+":"+reason)
			e.mu.Unlock()
			e.skipped <- name + ":" + reason
		},
		OnPanic: func(name string, err error) {
			e.mu.Lock()
			e.panics = append(e.panics, err)
			e.mu.Unlock()
			e.panicky <- err
		},
	}
}

func waitFor[T any](t *testing.T, ch <-chan T, what string) T {
	t.Helper()
	select {
	case v := <-ch:
		return v
	case <-time.After(20 * time.Second):
		t.Fatalf("timed out waiting for %s", what)
	}
	var zero T
	return zero
}

func TestRunsFire(t *testing.T) {
	t.Parallel()
	s := schedule.New(schedule.Options{})
	fired := make(chan time.Time, 10)
	if err := s.Add(schedule.Job{Name: "tick", Spec: everySecond(t), Run: func(ctx context.Context) { fired <- time.Now() }}); err != nil {
		t.Fatal(err)
	}
	if err := s.Add(schedule.Job{Name: "tick", Spec: everySecond(t), Run: func(context.Context) {}}); err == nil {
		t.Error("a second job with the same name was accepted")
	}
	s.Start(context.Background())
	a := waitFor(t, fired, "the first run")
	b := waitFor(t, fired, "the second run")
	if !b.After(a) {
		t.Errorf("runs at %s then %s", a, b)
	}
	if next := s.Next("tick"); next.IsZero() {
		t.Error("no next time for a started job")
	}
	<-s.Stop().Done()
}

func TestOverlappingRunIsSkipped(t *testing.T) {
	t.Parallel()
	ev := newEvents()
	s := schedule.New(ev.opts())
	var runs atomic.Int32
	release := make(chan struct{})
	started := make(chan struct{}, 10)
	s.Add(schedule.Job{Name: "slow", Spec: everySecond(t), Run: func(ctx context.Context) {
		runs.Add(1)
		started <- struct{}{}
		<-release
	}})
	s.Start(context.Background())
	waitFor(t, started, "the first run")
	if got := waitFor(t, ev.skipped, "a skipped tick"); got != "slow:overlap" {
		t.Errorf("skip reported as %q", got)
	}
	// A manual trigger goes through the same guard.
	s.RunNow("slow")
	if got := waitFor(t, ev.skipped, "a skipped manual run"); got != "slow:overlap" {
		t.Errorf("skip reported as %q", got)
	}
	if n := runs.Load(); n != 1 {
		t.Errorf("%d runs started while the first was still going", n)
	}
	close(release)
	waitFor(t, started, "a run after the slow one finished")
	<-s.Stop().Done()
}

func TestPanicIsRecoveredAndTheSchedulerGoesOn(t *testing.T) {
	t.Parallel()
	ev := newEvents()
	s := schedule.New(ev.opts())
	var runs atomic.Int32
	again := make(chan struct{}, 10)
	healthy := make(chan struct{}, 10)
	s.Add(schedule.Job{Name: "boom", Spec: everySecond(t), Run: func(ctx context.Context) {
		if runs.Add(1) == 1 {
			panic("connector exploded")
		}
		again <- struct{}{}
	}})
	s.Add(schedule.Job{Name: "other", Spec: everySecond(t), Run: func(ctx context.Context) { healthy <- struct{}{} }})
	s.Start(context.Background())
	err := waitFor(t, ev.panicky, "the recovered panic")
	if err == nil || !strings.Contains(err.Error(), "connector exploded") {
		t.Errorf("panic reported as %v", err)
	}
	// The same job runs again (the overlap guard got its token back) and so
	// does every other job.
	waitFor(t, again, "the run after the panic")
	waitFor(t, healthy, "another job's run")
	<-s.Stop().Done()
}

func TestStopWaitsForRunsInFlightAndStartsNoMore(t *testing.T) {
	t.Parallel()
	ev := newEvents()
	s := schedule.New(ev.opts())
	release := make(chan struct{})
	started := make(chan struct{}, 10)
	var runs atomic.Int32
	s.Add(schedule.Job{Name: "long", Spec: everySecond(t), Run: func(ctx context.Context) {
		runs.Add(1)
		started <- struct{}{}
		<-release
	}})
	s.Start(context.Background())
	waitFor(t, started, "a run")
	done := s.Stop()
	select {
	case <-done.Done():
		t.Fatal("Stop did not wait for the run in flight")
	default:
	}
	s.RunNow("long")
	if got := waitFor(t, ev.skipped, "the refused run"); got != "long:stopping" && got != "long:overlap" {
		t.Errorf("after Stop a run was not refused: %q", got)
	}
	close(release)
	<-done.Done()
	if n := runs.Load(); n != 1 {
		t.Errorf("%d runs, want 1", n)
	}
	if next := s.Next("long"); !next.IsZero() {
		t.Errorf("a stopped scheduler still announces a next run at %s", next)
	}
}

func TestTheSchedulerUsesEachJobsZone(t *testing.T) {
	s := schedule.New(schedule.Options{})
	spec := mustParse(t, "0 2 * * *", "Australia/Sydney", schedule.ParseOptions{Location: time.UTC})
	s.Add(schedule.Job{Name: "nightly", Spec: spec, Run: func(context.Context) {}})
	s.Start(context.Background())
	defer s.Stop()
	var next time.Time
	for next.IsZero() { // the cron loop computes it right after Start
		next = s.Next("nightly")
		time.Sleep(time.Millisecond)
	}
	syd, _ := time.LoadLocation("Australia/Sydney")
	if l := next.In(syd); l.Hour() != 2 || l.Minute() != 0 || !next.After(time.Now()) || next.Sub(time.Now()) > 25*time.Hour {
		t.Errorf("next run at %s (%s in Sydney), want the next 02:00 in Sydney", next, l)
	}
}

func TestWebhookRetriesAndRedacts(t *testing.T) {
	var calls atomic.Int32
	var got map[string]any
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if calls.Add(1) == 1 {
			w.WriteHeader(503)
			return
		}
		if r.Header.Get("Content-Type") != "application/json" {
			t.Errorf("content type %q", r.Header.Get("Content-Type"))
		}
		json.NewDecoder(r.Body).Decode(&got)
	}))
	defer srv.Close()
	wh := &schedule.Webhook{Backoff: time.Millisecond}
	if err := wh.Post(context.Background(), srv.URL+"/hooks/T000/SECRET", map[string]any{"pipeline": "lumi"}); err != nil {
		t.Fatal(err)
	}
	if calls.Load() != 2 || got["pipeline"] != "lumi" {
		t.Errorf("%d calls, body %v", calls.Load(), got)
	}
	bad := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { calls.Add(1); w.WriteHeader(404) }))
	defer bad.Close()
	calls.Store(0)
	err := wh.Post(context.Background(), bad.URL+"/hooks/T000/SECRET", map[string]any{})
	if err == nil || calls.Load() != 1 || strings.Contains(err.Error(), "SECRET") || !strings.Contains(err.Error(), "404") {
		t.Errorf("404: %d calls, error %v", calls.Load(), err)
	}
	err = wh.Post(context.Background(), "http://127.0.0.1:1/hooks/SECRET?token=SECRET", map[string]any{})
	if err == nil || strings.Contains(err.Error(), "SECRET") {
		t.Errorf("unreachable: %v", err)
	}
	if r := schedule.RedactURL("https://hooks.slack.com/services/T0/B0/XyZ"); r != "https://hooks.slack.com/…" {
		t.Errorf("RedactURL = %q", r)
	}
	if err := schedule.ValidateURL("ftp://x/y"); err == nil {
		t.Error("ftp URL accepted")
	}
	if err := schedule.ValidateURL("https://hooks.example.com/x"); err != nil {
		t.Error(err)
	}
	_ = errors.New
}
