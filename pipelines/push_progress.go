package pipelines

import (
	"fmt"
	"sync/atomic"
	"time"
)

// count adds a written row to the run's summary.
func (r *pushRun) count(it *item) {
	r.mu.Lock()
	defer r.mu.Unlock()
	s := r.sum
	s.Total++
	switch it.receipt.Outcome {
	case OutcomeSubmitted:
		s.Submitted++
	case OutcomeUpdated:
		s.Updated++
	case OutcomeSkipped:
		s.SkippedDuplicate++
	case OutcomeRejected:
		s.Rejected++
		if len(s.RejectSamples) < 20 {
			s.RejectSamples = append(s.RejectSamples, fmt.Sprintf("row %d: %s", it.row.Num, it.receipt.Error))
		}
	case OutcomeFailed:
		s.Failed++
		switch it.failure {
		case failUnknown:
			s.Unknown++
		case failRetry:
			s.Retry++
		}
	case OutcomeWaiting:
		s.Waiting++
	case OutcomeNeedsHuman:
		s.NeedsHuman++
	case OutcomeWouldSend, OutcomeWouldUpd:
		s.WouldSend++
	}
}

// progress returns the snapshots of the push for the progress line, for
// one reporter (startProgress) to call.
//
// The ETA comes from the rate of the rows that go to the vendor, measured
// from the first snapshot that saw one: rows sent before are skipped in no
// time and would make it far too short.
func (r *pushRun) progress(started time.Time, done *atomic.Int64, total int64) func() Progress {
	var t0 time.Time
	var s0 int64
	return func() Progress {
		r.mu.Lock()
		detail := fmt.Sprintf("%d sent, %d rejected, %d failed", r.sum.Submitted, r.sum.Rejected, r.sum.Failed)
		sent := int64(r.sum.Submitted + r.sum.Updated + r.sum.Failed)
		r.mu.Unlock()
		at, rows := r.opts.now(), done.Load()
		p := Progress{Rows: rows, Total: max(total, 0), Elapsed: at.Sub(started), Detail: detail}
		switch {
		case t0.IsZero() && sent > 0:
			t0, s0 = at, sent
		case !t0.IsZero() && sent > s0 && total > rows:
			p.ETA = time.Duration(float64(at.Sub(t0)) / float64(sent-s0) * float64(total-rows))
		}
		return p
	}
}

// startProgress reports progress every 200 ms until the returned stop is
// called (which waits for the reporter to end).
func startProgress(fn ProgressFunc, snapshot func() Progress) (stop func()) {
	if fn == nil {
		return func() {}
	}
	done := make(chan struct{})
	finished := make(chan struct{})
	go func() {
		defer close(finished)
		t := time.NewTicker(200 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-t.C:
				fn(snapshot())
			}
		}
	}()
	return func() {
		close(done)
		<-finished
	}
}
