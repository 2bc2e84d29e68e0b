package main

import (
	"context"
	"log/slog"
	"os"
	"os/signal"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

// exitInterrupted: a signal stopped a run before it finished; it was rolled
// back (pull) or stopped after the rows in flight (push), and nothing is
// half-written. Rerun to finish.
const exitInterrupted = 5

// defaultGrace is how long runs in flight may take to finish after SIGTERM.
const defaultGrace = 30 * time.Second

// shutdown turns SIGINT and SIGTERM into a graceful stop for the commands
// that run pipelines (run, schedule):
//
//  1. the first signal closes Stopping(): no new run starts, a push sends
//     no new row and finishes those in flight, a pull goes on;
//  2. when the grace period is over, or at a second signal, the context is
//     cancelled: what is still running stops at once and rolls back;
//  3. a third signal kills the process (the default action).
//
// Commands that do not opt in (Graceful) stop at the first signal, as
// before.
type shutdown struct {
	stop     chan struct{}
	stopOnce sync.Once
	cancel   context.CancelFunc
	sig      chan os.Signal
	done     chan struct{}
	doneOnce sync.Once

	graceful atomic.Bool
	grace    atomic.Int64
	logger   atomic.Pointer[slog.Logger]
	signal   atomic.Value // the first signal's name
}

func newShutdown(parent context.Context) (context.Context, *shutdown) {
	ctx, cancel := context.WithCancel(parent)
	sd := &shutdown{stop: make(chan struct{}), cancel: cancel, sig: make(chan os.Signal, 3), done: make(chan struct{})}
	signal.Notify(sd.sig, os.Interrupt, syscall.SIGTERM)
	go sd.loop()
	return ctx, sd
}

// Graceful makes the first signal a graceful stop with the given grace
// period (0: stop at once), logged to log.
func (sd *shutdown) Graceful(grace time.Duration, log *slog.Logger) {
	sd.grace.Store(int64(grace))
	sd.logger.Store(log)
	sd.graceful.Store(true)
}

// Stopping is closed at the first signal.
func (sd *shutdown) Stopping() <-chan struct{} { return sd.stop }

// stopping reports whether a stop was asked for.
func (sd *shutdown) stopping() bool {
	select {
	case <-sd.stop:
		return true
	default:
		return false
	}
}

// Signal names the signal that started the stop ("" if none).
func (sd *shutdown) Signal() string {
	s, _ := sd.signal.Load().(string)
	return s
}

func (sd *shutdown) log() *slog.Logger {
	if l := sd.logger.Load(); l != nil {
		return l
	}
	return slog.New(slog.DiscardHandler)
}

func (sd *shutdown) loop() {
	var s os.Signal
	select {
	case s = <-sd.sig:
	case <-sd.done:
		return
	}
	sd.signal.Store(sigName(s))
	sd.stopOnce.Do(func() { close(sd.stop) })
	defer signal.Stop(sd.sig) // once the runs are cancelled, another signal kills
	if !sd.graceful.Load() {
		sd.cancel()
		return
	}
	log := sd.log()
	grace := time.Duration(sd.grace.Load())
	if grace <= 0 {
		log.Warn("stopping now: runs in flight stop and roll back", "signal", sigName(s))
		sd.cancel()
		return
	}
	log.Warn("stopping: no new run starts; runs in flight may finish within the grace period, then they stop and roll back "+
		"(send the signal again to stop them now)", "signal", sigName(s), "grace", grace.String())
	first := time.Now()
	t := time.NewTimer(grace)
	defer t.Stop()
	for {
		select {
		case <-t.C:
			log.Warn("grace period over: the runs still in flight stop and roll back", "grace", grace.String())
		case s2 := <-sd.sig:
			if s2 == s && time.Since(first) < 200*time.Millisecond {
				// The same signal twice at once: sent to the process and
				// to its group (timeout(1), some supervisors), not by a
				// person pressing Ctrl-C again.
				continue
			}
			log.Warn("second signal: the runs in flight stop and roll back now", "signal", sigName(s2))
		case <-sd.done:
			return
		}
		break
	}
	sd.cancel()
}

func (sd *shutdown) close() {
	sd.doneOnce.Do(func() {
		signal.Stop(sd.sig)
		close(sd.done)
		sd.cancel()
	})
}

func sigName(s os.Signal) string {
	if s == syscall.SIGTERM {
		return "SIGTERM"
	}
	if s == os.Interrupt {
		return "SIGINT"
	}
	return s.String()
}
