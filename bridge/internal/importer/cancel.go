package importer

import (
	"context"
	"errors"
	"time"

	"github.com/octanebridge/octane-bridge/bridge/internal/stdio"
)

// Why an import was cancelled: the cause of its context, so that run tells a cancel from a
// shutdown (which leaves the import to resume on the next start).
var (
	errCancelledOnSite    = errors.New("importer: cancelled on the site")
	errCancelledInBlender = errors.New("importer: cancelled in Blender")
)

// Words for the add-on when an import ends cancelled.
const (
	cancelledOnSite    = "Cancelled on the site."
	cancelledInBlender = "Cancelled in Blender."
)

// runningImport is an import a worker carries out: its context's cancel, and whether Blender has
// it already (from then on it cannot be cancelled: the state machine ends importing in done or
// failed).
type runningImport struct {
	cancel    context.CancelCauseFunc
	importing bool
}

// Cancel stops an import: a queued one leaves the queue, a running one's download stops (its
// .part file stays, so the next import of the package resumes it). inBlender says the artist
// cancelled it in Blender (the bridge then reports it cancelled to the edge); otherwise it was
// cancelled on the site, which recorded it. False when the import is not queued or running
// here, or Blender has it already.
func (p *Pipeline) Cancel(id string, inBlender bool) bool {
	cause := errCancelledOnSite
	if inBlender {
		cause = errCancelledInBlender
	}
	p.mu.Lock()
	if r := p.running[id]; r != nil {
		ok := !r.importing
		if ok {
			r.cancel(cause)
		}
		p.mu.Unlock()
		return ok
	}
	for i := range p.queue {
		if p.queue[i].ImportID != id {
			continue
		}
		p.queue = append(p.queue[:i], p.queue[i+1:]...)
		delete(p.known, id)
		p.rememberLocked(id)
		p.mu.Unlock()
		if inBlender {
			go p.reportCancelled(context.Background(), id)
		}
		p.cancelled(id, cause)
		return true
	}
	p.mu.Unlock()
	return false
}

// startRunning registers a running import and returns its context.
func (p *Pipeline) startRunning(ctx context.Context, id string) (context.Context, func()) {
	ictx, cancel := context.WithCancelCause(ctx)
	p.mu.Lock()
	p.running[id] = &runningImport{cancel: cancel}
	p.mu.Unlock()
	return ictx, func() {
		p.mu.Lock()
		delete(p.running, id)
		p.mu.Unlock()
		cancel(nil)
	}
}

// handOver marks an import as given to Blender: from now on Cancel refuses it. False when it
// was cancelled just before.
func (p *Pipeline) handOver(ctx context.Context, id string) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if ctx.Err() != nil {
		return false
	}
	if r := p.running[id]; r != nil {
		r.importing = true
	}
	return true
}

// cancelCause is errCancelledOnSite or errCancelledInBlender when ctx was cancelled by Cancel,
// else nil.
func cancelCause(ctx context.Context) error {
	if c := context.Cause(ctx); errors.Is(c, errCancelledOnSite) || errors.Is(c, errCancelledInBlender) {
		return c
	}
	return nil
}

// cancelled ends a cancelled import: the edge is told when Blender cancelled it (the site's
// cancel is recorded already), the add-on always.
func (p *Pipeline) cancelled(id string, cause error) {
	msg := cancelledOnSite
	if errors.Is(cause, errCancelledInBlender) {
		msg = cancelledInBlender
	}
	p.cfg.Log.Info("import cancelled", "import_id", id, "by", msg)
	p.cfg.Notify.Final(stdio.ImportStatus{ImportID: id, Status: "cancelled", Message: msg})
}

// reportCancelled records a cancel made in Blender (briefly retrying network trouble).
func (p *Pipeline) reportCancelled(ctx context.Context, id string) {
	rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	if err := p.report(rctx, id, "cancelled", -1, "", ""); err != nil {
		p.cfg.Log.Warn("could not report the cancel", "import_id", id, "err", err)
	}
}
