package importer

import (
	"context"
	"errors"
	"sync"
	"time"
)

// reports sends one import's status reports to the edge from its own goroutine, in the order
// they were made, so the import goes on while they travel (docs/latency.md: each awaited report
// was a round trip on the way to Blender). The page still sees downloading → verifying →
// importing → done in order: one report is on the wire at a time. A status is retried like an
// awaited one (report); download percentages are best-effort and only the latest waiting one is
// sent. The pipeline looks at failed before it hands the package to Blender and waits for the
// rest with flush after Blender's answer, so a status the edge refused still fails the import.
type reports struct {
	p  *Pipeline
	id string

	mu      sync.Mutex
	queue   []statusReport
	busy    bool          // the sender goroutine runs
	err     error         // the first status the edge did not take (its later queued ones are dropped)
	drained chan struct{} // closed when the queue is empty and nothing is on the wire
}

type statusReport struct {
	ctx       context.Context
	status    string
	progress  int
	code, msg string
	best      bool // a download percentage: not retried, its failure is no failure of the import
}

func newReports(p *Pipeline, id string) *reports {
	d := make(chan struct{})
	close(d)
	return &reports{p: p, id: id, drained: d}
}

// send queues a status (progress -1: none) to be made with ctx.
func (r *reports) send(ctx context.Context, status string, progress int, code, msg string) {
	r.add(statusReport{ctx: ctx, status: status, progress: progress, code: code, msg: msg})
}

// progress queues a download percentage: it raises one still waiting, and one still waiting
// gives way to the next status (which says more), so percentages never hold a status back.
func (r *reports) progress(ctx context.Context, pct int) {
	r.add(statusReport{ctx: ctx, status: "downloading", progress: pct, best: true})
}

func (r *reports) add(s statusReport) {
	r.mu.Lock()
	defer r.mu.Unlock()
	switch n := len(r.queue); {
	case r.err != nil:
		return // the import fails; only its final report (final) is still made
	case s.best && n > 0 && r.queue[n-1].best:
		r.queue[n-1].progress = max(r.queue[n-1].progress, s.progress)
		return
	case n > 0 && r.queue[n-1].best:
		r.queue = r.queue[:n-1]
	}
	r.queue = append(r.queue, s)
	if !r.busy {
		r.busy = true
		r.drained = make(chan struct{})
		go r.run()
	}
}

func (r *reports) run() {
	last := -1 // the highest percentage sent: an older one never follows a newer one
	for {
		r.mu.Lock()
		if len(r.queue) == 0 {
			r.busy = false
			close(r.drained)
			r.mu.Unlock()
			return
		}
		s := r.queue[0]
		r.queue = r.queue[1:]
		r.mu.Unlock()
		if s.best {
			if s.progress > last {
				last = s.progress
				if err := r.p.cfg.Edge.Report(s.ctx, r.id, s.status, s.progress, "", ""); errors.Is(err, ErrGone) {
					r.p.Cancel(r.id, false) // cancelled on the site and the device topic's message was missed
				}
			}
			continue
		}
		err := r.p.report(s.ctx, r.id, s.status, s.progress, s.code, s.msg)
		if err == nil || s.ctx.Err() != nil {
			continue // a cancelled import's reports end with it (the site knows, or run reports it)
		}
		r.mu.Lock()
		if r.err == nil {
			r.err = err
		}
		// Later statuses would skip this one on the page: the import fails when it looks (failed,
		// flush), and only its final report follows.
		r.queue = r.queue[:0]
		r.mu.Unlock()
		if errors.Is(err, ErrGone) {
			r.p.abandon(r.id, err) // no longer this device's to do: stop the work now
		}
	}
}

// abandon stops a running import with cause, unless Blender has it already (then the outcome
// waits for Blender's answer).
func (p *Pipeline) abandon(id string, cause error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if ri := p.running[id]; ri != nil && !ri.importing {
		ri.cancel(cause)
	}
}

// failed is the first status the edge did not take so far (nil: none), without waiting.
func (r *reports) failed() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.err
}

// flush waits until every report queued so far was made, and returns failed.
func (r *reports) flush(ctx context.Context) error {
	r.mu.Lock()
	d := r.drained
	r.mu.Unlock()
	select {
	case <-d:
	case <-ctx.Done():
		return ctx.Err()
	}
	return r.failed()
}

// final reports the outcome an import ends with (failed, cancelled) after the reports still
// queued, even when the import's context is done (a cancel, a failure): briefly, so a dead
// network does not hold the worker.
func (r *reports) final(ctx context.Context, status, code, msg string) error {
	fctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	_ = r.flush(fctx) // whatever became of the steps before it
	return r.p.report(fctx, r.id, status, -1, code, msg)
}
