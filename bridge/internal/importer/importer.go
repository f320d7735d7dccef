// Package importer runs the bridge's import pipeline: redeem the token, verify the signed
// delivery, take the package from the cache or download and verify it, extract it safely into the
// cache, hand it to Blender and report every step. At most Workers imports run at once; the rest
// wait in a queue, and imports that meet a dead network wait for it to come back.
package importer

import (
	"context"
	"crypto/ed25519"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"sync"
	"time"

	"github.com/octanebridge/octane-bridge/bridge/internal/diskspace"
	"github.com/octanebridge/octane-bridge/bridge/internal/fault"
	"github.com/octanebridge/octane-bridge/bridge/internal/stdio"
	"github.com/octanebridge/octane-bridge/internal/codes"
	"github.com/octanebridge/octane-bridge/internal/shaderpkg"
)

// Request is one import to carry out, from a Realtime message or from pending_imports (then
// Token is empty and a fresh one is asked for), or from unfinished_imports (Resume: it was
// redeemed earlier, by a bridge that died or lost the answer, and a fresh delivery is asked for).
type Request struct {
	ImportID   string
	Token      string
	ShaderID   string
	ShaderName string
	Version    string
	Resume     bool
	// Apply is how Blender takes the material: assigned to the selection (the zero value), or a
	// resolution switch or version update of one material in place (asked from Blender).
	Apply stdio.Apply
	// Received is when the bridge learnt of the import (set by Enqueue): the first step of its trace.
	Received time.Time
}

// Edge is what the pipeline needs from the service. Implementations return a Final coded error
// (Fail) for refusals that end the import, ErrTokenRejected when the token is spent or expired,
// ErrGone when the import is no longer this device's to do (cancelled, expired, revoked),
// ErrNotQueued when Reissue finds the import already redeemed, and coded errors (fault.Error)
// otherwise: the pipeline waits and tries again when fault.Retryable says so (network down, 5xx,
// rate limited), for at least the server's fault.RetryAfter.
type Edge interface {
	Redeem(ctx context.Context, importID, token string) (Delivered, error)
	Reissue(ctx context.Context, importID string) (token string, err error)
	// Redeliver gives a redeemed but unfinished import of this device a fresh delivery.
	Redeliver(ctx context.Context, importID string) (Delivered, error)
	Report(ctx context.Context, importID, status string, progress int, code, message string) error
}

// Delivered is the edge's answer to a redemption: where to download and the signed delivery.
type Delivered struct {
	URL         string // the package (a v2 package's base)
	TexturesURL string // a v2 delivery's texture set ("" without one)
	Signed      shaderpkg.Signed
	// ServerTime is the edge's clock when it answered (its Date header; zero when unknown). The
	// delivery's validity is judged on the edge's clock, so a wrong clock on the artist's
	// machine does not fail every import.
	ServerTime time.Time
}

// Fetcher downloads url into partPath and verifies size and sha256 (bridge/internal/download).
type Fetcher interface {
	Fetch(ctx context.Context, url, partPath string, size int64, sha256hex string, progress func(done, total int64)) error
}

// Store is the content-addressed package cache (bridge/internal/cache).
type Store interface {
	Lookup(sha string) (dir string, ok bool)
	Install(sha string, fill func(tmpDir string) error) (dir string, err error)
	PartPath(sha string) string
	Pin(sha string) (unpin func())
	Discard(sha string) error // removes an entry that failed verification
}

// Blender hands a verified package to the add-on and waits for its answer.
type Blender interface {
	Import(ctx context.Context, req stdio.Import) (stdio.Imported, error) // a refusal is Final (Fail)
}

// Notifier tells the add-on what happens (progress and final outcomes).
type Notifier interface {
	Progress(stdio.Progress)
	Final(stdio.ImportStatus)
}

// ExtractFunc unpacks a verified zip into an empty dir, checking entries against files.
type ExtractFunc func(ctx context.Context, zipPath, dir string, files []shaderpkg.File) error

// VerifyFunc checks that an extracted package dir holds exactly the signed files (sizes and
// sha256), as extract.VerifyTree does.
type VerifyFunc func(ctx context.Context, dir string, files []shaderpkg.File) error

// Classify maps a download or extraction error to a failure code ("" = unknown).
type ClassifyFunc func(err error) (code string, retryable bool)

// Failure codes the bridge reports (the site and the add-on explain each in plain words).
const (
	CodeSubscriptionRequired = codes.SubscriptionRequired
	CodeTokenExpired         = codes.TokenExpired
	CodeSignatureInvalid     = codes.SignatureInvalid
	CodeDownloadFailed       = codes.DownloadFailed
	CodeChecksumMismatch     = codes.ChecksumMismatch
	CodePackageUnsafe        = codes.PackageUnsafe
	CodeDiskFull             = codes.DiskFull
	CodeCacheWrite           = codes.ExtractIO // the cache could not be written (permissions, I/O): not the package's fault
	CodeBlenderError         = codes.BlenderError
	CodeInternal             = codes.InternalError
)

// Fail ends an import with a stable code and a message for people: a Final coded error, so its
// code is what is reported whatever err (the cause, for the log) says, and it is never retried.
func Fail(code codes.Code, msg string, err error) *fault.Error {
	return &fault.Error{Code: code, Msg: msg, Err: err, Final: true}
}

var (
	ErrTokenRejected = errors.New("importer: import token rejected")
	ErrGone          = errors.New("importer: import no longer pending for this device")
	ErrNotQueued     = errors.New("importer: import already redeemed")
)

// Config wires a Pipeline.
type Config struct {
	Edge         Edge
	Fetch        Fetcher
	Cache        Store
	Extract      ExtractFunc
	ExtractSet   ExtractFunc // a v2 texture set (flat files, no manifest.json): extract.ExtractSet
	Verify       VerifyFunc  // every cache hit is checked with it before Blender sees it
	VerifySet    VerifyFunc  // the same for a texture set's entry: extract.VerifySet
	Classify     ClassifyFunc
	Blender      Blender
	Notify       Notifier
	Trusted      map[string]ed25519.PublicKey // delivery signing keys pinned at build time
	Log          *slog.Logger
	Workers      int // default 2
	Now          func() time.Time
	Backoff      time.Duration // first retry delay; default 1 s, doubling to MaxWait
	MaxWait      time.Duration // default 30 s
	Downloads    int           // download attempts per import (resume between them); default 3
	StallTimeout time.Duration // a download with no progress for this long is resumed; default 60 s
	// FreeSpace returns the bytes free for this user on the disk holding dir (diskspace.Free);
	// nil skips the check before a download.
	FreeSpace func(dir string) (uint64, error)
	// Claim takes an import for this process (nil: always). Bridges of several Blenders share the
	// cache and may share a device: an import another live bridge is working on is left to it.
	Claim func(importID string) (release func(), ok bool)
	// Keep records the signed delivery a ready cache entry was verified against (the local
	// library lists and re-checks entries by it, offline); nil keeps nothing.
	Keep func(signed shaderpkg.Signed) error
}

// Pipeline queues and runs imports.
type Pipeline struct {
	cfg Config

	mu       sync.Mutex
	queue    []Request
	known    map[string]bool        // queued or running, so Realtime and pending_imports never double up
	finished map[string]bool        // ended in this process: a catch-up list read before the end does not restart them
	ended    []string               // finished, oldest first (bounded by keepFinished)
	fetching map[string]*sync.Mutex // per package: two imports of one shader download it once
	wake     chan struct{}          // closed and replaced when work arrives or the network returns

	running map[string]*runningImport // imports a worker carries out, to cancel (cancel.go)
}

func New(cfg Config) *Pipeline {
	if cfg.Workers <= 0 {
		cfg.Workers = 2
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Backoff <= 0 {
		cfg.Backoff = time.Second
	}
	if cfg.MaxWait <= 0 {
		cfg.MaxWait = 30 * time.Second
	}
	if cfg.StallTimeout <= 0 {
		cfg.StallTimeout = 60 * time.Second
	}
	if cfg.Downloads <= 0 {
		cfg.Downloads = 3
	}
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	return &Pipeline{cfg: cfg, known: map[string]bool{}, finished: map[string]bool{}, fetching: map[string]*sync.Mutex{},
		running: map[string]*runningImport{}, wake: make(chan struct{})}
}

// Enqueue adds an import unless it is already queued or running. A request with a token replaces
// a queued one without (the token saves a reissue).
func (p *Pipeline) Enqueue(r Request) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.finished[r.ImportID] {
		return false
	}
	if p.known[r.ImportID] {
		for i := range p.queue {
			if p.queue[i].ImportID == r.ImportID && p.queue[i].Token == "" && r.Token != "" {
				p.queue[i] = r
			}
		}
		return false
	}
	p.known[r.ImportID] = true
	if r.Received.IsZero() {
		r.Received = time.Now()
	}
	p.queue = append(p.queue, r)
	p.cfg.Notify.Progress(stdio.Progress{ImportID: r.ImportID, ShaderName: r.ShaderName, Stage: stdio.StageQueued})
	p.wakeLocked()
	return true
}

// Wake cuts short every wait: call it when the network comes back.
func (p *Pipeline) Wake() {
	p.mu.Lock()
	p.wakeLocked()
	p.mu.Unlock()
}

func (p *Pipeline) wakeLocked() {
	close(p.wake)
	p.wake = make(chan struct{})
}

// Pending reports how many imports are queued or running.
func (p *Pipeline) Pending() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.known)
}

// Run processes the queue with cfg.Workers workers until ctx ends.
func (p *Pipeline) Run(ctx context.Context) {
	var wg sync.WaitGroup
	for range p.cfg.Workers {
		wg.Go(func() {
			for {
				r, ok := p.next(ctx)
				if !ok {
					return
				}
				ran := false
				if release, ok := p.claim(r.ImportID); ok {
					ictx, done := p.startRunning(ctx, r.ImportID)
					p.run(ictx, r)
					done()
					release()
					ran = true
				} else {
					// Its Blender was told "queued" (Enqueue): end that here, in words, without
					// reporting to the edge (the other bridge's import goes on).
					p.cfg.Log.Info("import taken by another bridge; leaving it", "import_id", r.ImportID)
					p.cfg.Notify.Final(stdio.ImportStatus{ImportID: r.ImportID, Status: "cancelled", Code: codes.OtherBlender,
						Message: "Another Blender on this machine is importing this shader."})
				}
				p.mu.Lock()
				delete(p.known, r.ImportID)
				if ran && ctx.Err() == nil {
					p.rememberLocked(r.ImportID)
				}
				p.mu.Unlock()
			}
		})
	}
	wg.Wait()
}

// keepFinished bounds how many ended imports the pipeline remembers.
const keepFinished = 256

func (p *Pipeline) rememberLocked(id string) {
	p.finished[id] = true
	p.ended = append(p.ended, id)
	if len(p.ended) > keepFinished {
		delete(p.finished, p.ended[0])
		p.ended = p.ended[1:]
	}
}

func (p *Pipeline) claim(id string) (func(), bool) {
	if p.cfg.Claim == nil {
		return func() {}, true
	}
	return p.cfg.Claim(id)
}

func (p *Pipeline) next(ctx context.Context) (Request, bool) {
	for {
		p.mu.Lock()
		if len(p.queue) > 0 {
			r := p.queue[0]
			p.queue = p.queue[1:]
			p.mu.Unlock()
			return r, true
		}
		wake := p.wake
		p.mu.Unlock()
		select {
		case <-ctx.Done():
			return Request{}, false
		case <-wake:
		}
	}
}

// wait sleeps for d (with jitter) or until Wake, whichever comes first.
func (p *Pipeline) wait(ctx context.Context, d time.Duration) error {
	p.mu.Lock()
	wake := p.wake
	p.mu.Unlock()
	d = d/2 + rand.N(d/2+1)
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-wake:
	case <-t.C:
	}
	return nil
}

// run carries one import to its end and reports the outcome everywhere.
func (p *Pipeline) run(ctx context.Context, r Request) {
	log := p.cfg.Log.With("import_id", r.ImportID)
	start := p.cfg.Now()
	ctx, tr := withTrace(ctx, r.Received)
	mark(ctx, "started")
	rep := newReports(p, r.ImportID)
	err := p.process(ctx, r, rep, log)
	cause := cancelCause(ctx)
	switch {
	case err == nil:
		log.Info("import done", "ms", p.cfg.Now().Sub(start).Milliseconds(), "at_ms", tr.at, "fetched", tr.fetched)
		p.cfg.Notify.Final(stdio.ImportStatus{ImportID: r.ImportID, Status: "done"})
	case cause != nil:
		if errors.Is(cause, errCancelledInBlender) {
			if rerr := rep.final(ctx, "cancelled", "", ""); rerr != nil {
				log.Warn("could not report the cancel", "err", rerr)
			}
		}
		p.cancelled(r.ImportID, cause)
	case ctx.Err() != nil && !errors.Is(context.Cause(ctx), ErrGone): // ErrGone: a status the edge refused (reports)
		log.Info("import interrupted by shutdown; it resumes on the next start")
	case errors.Is(err, ErrGone) || errors.Is(context.Cause(ctx), ErrGone):
		log.Info("import no longer pending", "err", err)
		p.cfg.Notify.Final(stdio.ImportStatus{ImportID: r.ImportID, Status: "cancelled", Code: codes.ImportGone,
			Message: "This import was cancelled or expired on the site."})
	default:
		f := outcome(err)
		log.Warn("import failed", "code", f.Code, "err", err)
		if rerr := rep.final(ctx, "failed", string(f.Code), f.Msg); rerr != nil {
			log.Warn("could not report the failure", "err", rerr)
		}
		p.cfg.Notify.Final(stdio.ImportStatus{ImportID: r.ImportID, Status: "failed", Code: f.Code, Message: f.Msg})
	}
}

// outcome is the failure an import ended with: the one decided on the way (Fail), else a full
// disk or an internal error. A coded cause alone (an edge call refused) is no outcome.
func outcome(err error) *fault.Error {
	if f := fault.Decided(err); f != nil {
		return f
	}
	if diskspace.Full(err) {
		return diskFull(err)
	}
	return Fail(CodeInternal, "The bridge hit an unexpected error; see its log.", err)
}

func diskFull(err error) *fault.Error {
	return Fail(CodeDiskFull, "The disk holding the shader cache is full. Free some space or lower the cache size.", err)
}

func (p *Pipeline) process(ctx context.Context, r Request, rep *reports, log *slog.Logger) error {
	del, err := p.redeem(ctx, r, log)
	if err != nil {
		return err
	}
	mark(ctx, "redeemed")
	env := del.Signed
	now := p.cfg.Now()
	if !del.ServerTime.IsZero() {
		if off := del.ServerTime.Sub(now); off > shaderpkg.ClockSkew || off < -shaderpkg.ClockSkew {
			log.Info("this machine's clock differs from the server's; judging the delivery by the server's", "offset", off.Round(time.Second))
		}
		now = del.ServerTime
	}
	d, err := shaderpkg.VerifyDelivery(p.cfg.Trusted, env, now)
	if err != nil {
		return Fail(CodeSignatureInvalid, "The package description from the server did not verify ("+
			string(shaderpkg.CodeOf(err))+"); nothing was downloaded.", err)
	}
	if d.ImportID != r.ImportID {
		return Fail(CodeSignatureInvalid, "The server's signed package description belongs to another import.", nil)
	}
	mark(ctx, "delivery_verified")
	name := r.ShaderName
	if name == "" {
		name = d.MaterialName
	}
	objs, err := objectsOf(d, del)
	if err != nil {
		return err
	}
	for _, o := range objs {
		defer p.cfg.Cache.Pin(o.sha)()
	}
	dirs, hit, err := p.obtainAll(ctx, r, rep, objs, name, log)
	if err != nil {
		return err
	}
	mark(ctx, "package_ready")
	log.Info("package ready", "cache_hit", hit)
	// A status the edge refused on the way (its reports are not awaited) ends the import here,
	// before Blender has it; "importing" travels while Blender imports.
	if err := rep.failed(); err != nil {
		return err
	}
	if !p.handOver(ctx, r.ImportID) {
		return ctx.Err()
	}
	rep.send(ctx, "importing", -1, "", "")
	mark(ctx, "handed_to_blender")
	_, err = p.cfg.Blender.Import(ctx, blenderImport(r, d, name, objs, dirs))
	if p.cfg.Keep != nil { // after the hand-over: the local library's record is not on Blender's way
		if err := p.cfg.Keep(env); err != nil {
			log.Warn("the local library could not record this package", "err", err)
		}
	}
	if err != nil {
		if fault.Decided(err) != nil || ctx.Err() != nil {
			return err
		}
		return Fail(CodeBlenderError, err.Error(), err)
	}
	mark(ctx, "blender_replied")
	rep.send(ctx, "done", 100, "", "")
	err = rep.flush(ctx) // and every report before it: the import is done when the edge has them all
	mark(ctx, "done_reported")
	return err
}

// redeem trades the token for a download URL and a signed delivery, asking for a fresh token
// when the one we hold is spent or missing, and waiting out network trouble. An import that was
// redeemed already (resumed after a crash, or our redeem answer was lost after its commit) asks
// for a fresh delivery instead.
func (p *Pipeline) redeem(ctx context.Context, r Request, log *slog.Logger) (Delivered, error) {
	if r.Resume {
		return p.redeliver(ctx, r, log)
	}
	token := r.Token
	var reissuedAt time.Time // when the token we hold came from Reissue (zero: from Realtime)
	delay := p.cfg.Backoff
	for {
		var err error
		if token == "" {
			if token, err = p.cfg.Edge.Reissue(ctx, r.ImportID); err == nil {
				reissuedAt = p.cfg.Now()
			}
		}
		if err == nil {
			var del Delivered
			if del, err = p.cfg.Edge.Redeem(ctx, r.ImportID, token); err == nil {
				return del, nil
			}
		}
		switch {
		case errors.Is(err, ErrTokenRejected) && (reissuedAt.IsZero() || p.cfg.Now().Sub(reissuedAt) > time.Minute):
			token = "" // expired while we waited, or spent in transit: ask for a new one
		case errors.Is(err, ErrTokenRejected):
			return Delivered{}, Fail(CodeTokenExpired, "The import link was refused. Import again.", err)
		case errors.Is(err, ErrNotQueued):
			log.Info("import already redeemed (an answer was lost); asking for a fresh delivery")
			return p.redeliver(ctx, r, log)
		case fault.Retryable(err):
			log.Info("edge unreachable; waiting", "err", err, "retry_in", delay)
			if err := p.wait(ctx, max(delay, fault.RetryAfter(err))); err != nil {
				return Delivered{}, err
			}
			delay = min(delay*2, p.cfg.MaxWait)
		default:
			return Delivered{}, err
		}
	}
}

// redeliver asks for a fresh delivery of a redeemed but unfinished import, waiting out network trouble.
func (p *Pipeline) redeliver(ctx context.Context, r Request, log *slog.Logger) (Delivered, error) {
	delay := p.cfg.Backoff
	for {
		del, err := p.cfg.Edge.Redeliver(ctx, r.ImportID)
		if err == nil {
			return del, nil
		}
		if !fault.Retryable(err) {
			return Delivered{}, err
		}
		log.Info("edge unreachable; waiting", "err", err, "retry_in", delay)
		if err := p.wait(ctx, max(delay, fault.RetryAfter(err))); err != nil {
			return Delivered{}, err
		}
		delay = min(delay*2, p.cfg.MaxWait)
	}
}

// freeMargin is kept free besides the package itself: a disk filled to the last byte breaks
// more than the bridge.
const freeMargin = 64 << 20

func mib(n int64) string { return fmt.Sprintf("%.1f MB", float64(n)/(1<<20)) }

// report sends a status to the edge, retrying network trouble briefly; progress is -1 for none.
func (p *Pipeline) report(ctx context.Context, id, status string, progress int, code, msg string) error {
	delay := p.cfg.Backoff
	for attempt := 0; ; attempt++ {
		err := p.cfg.Edge.Report(ctx, id, status, progress, code, msg)
		if err == nil || !fault.Retryable(err) || attempt == 4 {
			return err
		}
		if err := p.wait(ctx, max(delay, fault.RetryAfter(err))); err != nil {
			return err
		}
		delay = min(delay*2, p.cfg.MaxWait)
	}
}
