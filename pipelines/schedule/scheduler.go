package schedule

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"github.com/robfig/cron/v3"
)

// Job is one scheduled piece of work.
type Job struct {
	Name string
	Spec *Spec
	// Run runs the job once. Its context is the one given to Start: it ends
	// when the process must stop at once, not when Stop is called (a run in
	// flight is allowed to finish).
	Run func(ctx context.Context)
}

// Skip reasons given to Options.OnSkip.
const (
	SkipOverlap  = "overlap"  // the previous run of the job is still going
	SkipStopping = "stopping" // the scheduler is stopping
)

// Options configure a Scheduler.
type Options struct {
	Logger *slog.Logger
	// OnSkip is called when a tick does not start a run.
	OnSkip func(name, reason string)
	// OnPanic is called when a run panicked and the panic was recovered.
	OnPanic func(name string, err error)
}

// Scheduler runs jobs on their specs. Create it with New, Add the jobs, then
// Start it.
type Scheduler struct {
	cron *cron.Cron
	opts Options
	log  *slog.Logger

	mu      sync.Mutex
	jobs    map[string]*entry
	ctx     context.Context
	stopped bool
	wg      sync.WaitGroup
}

type entry struct {
	job     Job
	id      cron.EntryID
	run     cron.Job // the job behind every wrapper: what a tick calls
	running atomic.Bool
}

// New returns a scheduler. The cron loop itself works in UTC; every Spec
// carries its own zone.
func New(opts Options) *Scheduler {
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	s := &Scheduler{opts: opts, log: log, jobs: map[string]*entry{}, ctx: context.Background()}
	s.cron = cron.New(
		cron.WithLocation(time.UTC),
		cron.WithLogger(cronLogger{log: log}),
	)
	return s
}

// Add schedules a job. Names must be unique.
func (s *Scheduler) Add(j Job) error {
	if j.Name == "" || j.Spec == nil || j.Run == nil {
		return errors.New("schedule: a job needs a name, a spec and a function")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, dup := s.jobs[j.Name]; dup {
		return fmt.Errorf("schedule: %q is scheduled twice", j.Name)
	}
	e := &entry{job: j}
	l := cronLogger{log: s.log, name: j.Name, onSkip: s.opts.OnSkip, onPanic: s.opts.OnPanic}
	// The order matters: Recover sits inside SkipIfStillRunning, so that a
	// panicking run still hands back the "running" token and the next tick
	// runs again. (Outside it, one panic would skip every later tick.)
	chained := cron.NewChain(cron.SkipIfStillRunning(l), cron.Recover(l)).Then(cron.FuncJob(func() {
		e.running.Store(true)
		defer e.running.Store(false)
		j.Run(s.context())
	}))
	e.run = cron.FuncJob(func() {
		if !s.enter() {
			s.skipped(j.Name, SkipStopping)
			return
		}
		defer s.wg.Done()
		chained.Run()
	})
	e.id = s.cron.Schedule(j.Spec, e.run)
	s.jobs[j.Name] = e
	return nil
}

func (s *Scheduler) context() context.Context {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.ctx
}

// enter counts a run in, unless the scheduler is stopping.
func (s *Scheduler) enter() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.stopped {
		return false
	}
	s.wg.Add(1)
	return true
}

func (s *Scheduler) skipped(name, reason string) {
	if s.opts.OnSkip != nil {
		s.opts.OnSkip(name, reason)
	}
}

// Start starts firing jobs. ctx is handed to every run.
func (s *Scheduler) Start(ctx context.Context) {
	s.mu.Lock()
	s.ctx = ctx
	s.mu.Unlock()
	s.cron.Start()
}

// RunNow starts a run of the named job at once, in the background, through
// the same overlap and panic guards as a tick.
func (s *Scheduler) RunNow(name string) error {
	s.mu.Lock()
	e, ok := s.jobs[name]
	s.mu.Unlock()
	if !ok {
		return fmt.Errorf("schedule: no job %q", name)
	}
	go e.run.Run()
	return nil
}

// Stop stops starting runs. The returned context is done when every run in
// flight has returned; cancel the context given to Start to make them stop
// sooner.
func (s *Scheduler) Stop() context.Context {
	s.mu.Lock()
	s.stopped = true
	cronDone := s.cron.Stop() // under mu: Jobs never reads cron's entries meanwhile
	s.mu.Unlock()
	ctx, cancel := context.WithCancel(context.Background())
	go func() {
		<-cronDone.Done()
		s.wg.Wait()
		cancel()
	}()
	return ctx
}

// Status is a job as the scheduler sees it.
type Status struct {
	Name    string
	Spec    *Spec
	Next    time.Time // zero before Start or when stopped
	Running bool
}

// Jobs lists the jobs by name.
func (s *Scheduler) Jobs() []Status {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Status, 0, len(s.jobs))
	for _, e := range s.jobs {
		st := Status{Name: e.job.Name, Spec: e.job.Spec, Running: e.running.Load()}
		if !s.stopped {
			st.Next = s.cron.Entry(e.id).Next
		}
		out = append(out, st)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// Next is the named job's next fire time (zero if unknown).
func (s *Scheduler) Next(name string) time.Time {
	for _, st := range s.Jobs() {
		if st.Name == name {
			return st.Next
		}
	}
	return time.Time{}
}

// cronLogger adapts slog to cron.Logger, and turns cron's "skip" and
// "panic" reports into the scheduler's hooks.
type cronLogger struct {
	log     *slog.Logger
	name    string
	onSkip  func(name, reason string)
	onPanic func(name string, err error)
}

func (l cronLogger) Info(msg string, kv ...any) {
	if msg == "skip" && l.name != "" {
		l.log.Warn("run skipped: the previous run of this pipeline is still going", "pipeline", l.name)
		if l.onSkip != nil {
			l.onSkip(l.name, SkipOverlap)
		}
		return
	}
	l.log.Debug("cron "+msg, kv...)
}

func (l cronLogger) Error(err error, msg string, kv ...any) {
	if msg == "panic" && l.name != "" {
		args := append([]any{"pipeline", l.name, "error", err.Error()}, kv...)
		l.log.Error("run panicked; the panic was recovered and the scheduler goes on", args...)
		if l.onPanic != nil {
			l.onPanic(l.name, err)
		}
		return
	}
	l.log.Error("cron "+msg, append([]any{"error", err.Error()}, kv...)...)
}
