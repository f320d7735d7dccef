package agent

import (
	"context"
	"encoding/json"
	"errors"
	"math/rand/v2"
	"os"
	"path/filepath"
	"regexp"
	"time"

	"github.com/octanebridge/octane-bridge/bridge/internal/diskspace"
	"github.com/octanebridge/octane-bridge/bridge/internal/download"
	"github.com/octanebridge/octane-bridge/bridge/internal/edgeclient"
	"github.com/octanebridge/octane-bridge/bridge/internal/extract"
	"github.com/octanebridge/octane-bridge/bridge/internal/fault"
	"github.com/octanebridge/octane-bridge/bridge/internal/importer"
	"github.com/octanebridge/octane-bridge/bridge/internal/phoenix"
	"github.com/octanebridge/octane-bridge/bridge/internal/stdio"
	"github.com/octanebridge/octane-bridge/bridge/internal/verified"
	"github.com/octanebridge/octane-bridge/internal/codes"
	"github.com/octanebridge/octane-bridge/internal/periodic"
	"github.com/octanebridge/octane-bridge/internal/shaderpkg"
	"github.com/octanebridge/octane-bridge/internal/wire"
)

func (a *Agent) startLink(ctx context.Context) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.link != nil || a.cred == nil {
		return
	}
	lctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	a.link, a.linkDone = cancel, done
	cred := *a.cred
	go func() {
		defer close(done)
		a.runLink(lctx, cred)
	}()
}

// runLink keeps this device reachable: a device JWT, the Realtime channel, the heartbeat and the
// import pipeline, until ctx ends or the device turns out to be revoked.
func (a *Agent) runLink(ctx context.Context, cred credential) {
	a.setStatus(stdio.StateConnecting, "")
	sess := a.client.NewSession(cred.APIKey)
	for delay := time.Second; ; delay = min(delay*2, 30*time.Second) {
		_, err := sess.Token(ctx)
		if err == nil {
			break
		}
		if ctx.Err() != nil {
			return
		}
		if a.isRevoked(err) {
			return
		}
		a.setStatus(stdio.StateOffline, "The bridge cannot reach the server. It keeps trying.")
		if !sleep(ctx, jitter(delay)) {
			return
		}
	}
	pipe := importer.New(importer.Config{
		Edge:  &edgeAdapter{c: a.client, s: sess},
		Fetch: &download.Client{HTTP: a.cfg.Download},
		Cache: a.cache,
		Extract: func(ctx context.Context, zip, dir string, files []shaderpkg.File) error {
			return extract.Extract(ctx, zip, dir, extract.DefaultLimits(), files)
		},
		ExtractSet: func(ctx context.Context, zip, dir string, files []shaderpkg.File) error {
			return extract.ExtractSet(ctx, zip, dir, extract.DefaultLimits(), files)
		},
		Verify:    verified.New(extract.VerifyTree).Check, // re-hashed only when changed (docs/security.md)
		VerifySet: verified.New(extract.VerifySet).Check,
		Classify:  classify,
		Blender:   a,
		Notify:    a,
		Trusted:   a.cfg.Trusted,
		Log:       a.log,
		Claim:     a.claimImport,
		FreeSpace: diskspace.Free,
		Keep:      a.library.Keep,
	})
	go pipe.Run(ctx)
	beat := a.useLink(pipe, sess)
	poke := make(chan struct{}, 1)
	a.mu.Lock()
	a.accountPoke = poke
	a.mu.Unlock()
	go a.watchAccount(ctx, sess, poke)

	rt := phoenix.New(phoenix.Config{URL: realtimeURL(a.ends.Supabase), APIKey: a.ends.AnonKey, Token: sess.Token,
		HTTP: a.cfg.HTTP, Logger: a.log, Heartbeat: a.cfg.Realtime.Heartbeat,
		MinBackoff: a.cfg.Realtime.MinBackoff, MaxBackoff: a.cfg.Realtime.MaxBackoff})
	sess.OnRefresh(rt.SetAccessToken)
	rt.OnState(func(online bool, err error) {
		if !online && ctx.Err() == nil {
			a.setStatus(stdio.StateOffline, "Connection to the server lost; reconnecting.")
		}
	})
	rt.Join("device:"+cred.DeviceID, func(event string, payload json.RawMessage) {
		if event == "device_revoked" { // confirm with the edge rather than trust one message
			go func() {
				if _, err := a.client.NewSession(cred.APIKey).Token(ctx); !a.isRevoked(err) && err != nil {
					a.log.Info("could not confirm revocation", "err", err)
				}
			}()
			return
		}
		if event == wire.ImportCancelledEvent { // schemas/import_cancelled.schema.json
			var c wire.ImportCancelled
			if err := wire.Decode(payload, &c); err != nil || c.ImportID == "" {
				a.log.Warn("ignoring a malformed import_cancelled", "code", codes.Malformed, "err", err)
				return
			}
			pipe.Cancel(c.ImportID, false)
			return
		}
		if event != wire.ImportRequestEvent {
			return
		}
		var r wire.ImportRequest // the edge's broadcast (schemas/import_request.schema.json)
		if err := wire.Decode(payload, &r); err != nil || r.ImportID == "" {
			a.log.Warn("ignoring a malformed import_request", "code", codes.Malformed, "err", err)
			return
		}
		if !a.forThisBlender(r.InstanceID, true) {
			return // another Blender of this machine takes it
		}
		pipe.Enqueue(importer.Request{ImportID: r.ImportID, Token: r.Token, ShaderID: r.ShaderID, ShaderName: r.ShaderName, Version: r.Version})
	}, func() {
		a.setStatus(stdio.StateOnline, "")
		a.pokeAccount()
		pipe.Wake()
		go a.catchUp(ctx, sess, pipe)
	})
	go a.heartbeat(ctx, sess, cred.APIKey, beat)
	go periodic.Run(ctx, recheckEvery, nil, func() { a.catchUp(ctx, sess, pipe) })
	if err := rt.Run(ctx); err != nil && ctx.Err() == nil {
		a.log.Warn("realtime stopped", "err", err)
	}
	a.goodbye(ctx, sess)
}

// catchUp enqueues what was asked while we were away (Realtime delivers at most once) and
// resumes what this device redeemed and never finished (a bridge killed mid-import, a Blender
// closed mid-download, a redeem answer lost after its commit).
func (a *Agent) catchUp(ctx context.Context, sess *edgeclient.Session, pipe *importer.Pipeline) {
	unfinished, err := a.client.UnfinishedImports(ctx, sess)
	if err != nil {
		if ctx.Err() == nil && !a.isRevoked(err) {
			a.log.Warn("cannot list unfinished imports", "err", err)
		}
	}
	for _, u := range unfinished {
		if u.InstanceID != nil && !a.forThisBlender(*u.InstanceID, u.InstanceOnline != nil && *u.InstanceOnline) {
			continue // another running Blender of this machine has it
		}
		a.log.Info("resuming an unfinished import", "import_id", u.ImportID, "was", u.Status)
		pipe.Enqueue(importer.Request{ImportID: u.ImportID, ShaderID: u.ShaderID, ShaderName: u.ShaderName, Version: u.Version, Resume: true})
	}
	pending, err := a.client.PendingImports(ctx, sess)
	if err != nil {
		if ctx.Err() == nil && !a.isRevoked(err) {
			a.log.Warn("cannot list pending imports", "err", err)
		}
		return
	}
	for _, p := range pending {
		if !a.forThisBlender(p.InstanceID, p.InstanceOnline) {
			continue
		}
		pipe.Enqueue(importer.Request{ImportID: p.ImportID, ShaderID: p.ShaderID, ShaderName: p.ShaderName, Version: p.Version})
	}
}

var reImportID = regexp.MustCompile(`^[A-Za-z0-9-]{1,64}$`)

// claimImport keeps one import to one bridge process: bridges of several Blenders share the cache
// (and may share a device), and a resumed import another live bridge is working on must be left
// to it. The lock file lives in <cache>/imports/; the OS drops it when its holder dies, so an
// import of a killed bridge is free to resume. Where no lock can be taken the import runs.
func (a *Agent) claimImport(id string) (func(), bool) {
	if !reImportID.MatchString(id) {
		return func() {}, true
	}
	dir := filepath.Join(a.cache.Dir(), "imports")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		a.log.Warn("cannot create the import lock directory", "err", err)
		return func() {}, true
	}
	release, ok, err := download.TryLock(filepath.Join(dir, id+".lock"))
	if err != nil {
		a.log.Warn("cannot lock the import", "import_id", id, "err", err)
		return func() {}, true
	}
	return release, ok
}

// accountEvery bounds how stale the add-on's account line can be when nothing else refreshes it
// (a subscription bought on the site while Blender is open).
const accountEvery = 5 * time.Minute

// watchAccount keeps the e-mail and subscription state the add-on shows current: read when the
// link comes online, after each import ends, and every accountEvery.
func (a *Agent) watchAccount(ctx context.Context, sess *edgeclient.Session, poke <-chan struct{}) {
	periodic.Run(ctx, accountEvery, poke, func() {
		acc, err := a.client.Account(ctx, sess)
		if err != nil {
			if ctx.Err() == nil && !a.isRevoked(err) {
				a.log.Info("cannot read the account", "err", err)
			}
			return
		}
		a.mu.Lock()
		changed := a.acct != acc && a.cred != nil
		if changed {
			a.acct = acc
		}
		st := a.statusLocked()
		a.mu.Unlock()
		if changed {
			a.send(stdio.TypeStatus, "", st)
		}
	})
}

func (a *Agent) pokeAccount() {
	a.mu.Lock()
	poke := a.accountPoke
	a.mu.Unlock()
	periodic.Poke(poke)
}

// heartbeat marks the device as seen so the site shows this Blender online.
// A refused heartbeat may mean the device was revoked while its JWT is still valid: a fresh
// exchange of the key tells, so revocation shows within one heartbeat, not one token lifetime.
// poke (another file is open) sends one at once, so the site shows it now.
func (a *Agent) heartbeat(ctx context.Context, sess *edgeclient.Session, apiKey string, poke <-chan struct{}) {
	ctx, stop := context.WithCancel(ctx)
	defer stop()
	beat := func() {
		if err := a.client.Heartbeat(ctx, sess, a.blender(false)); err != nil && ctx.Err() == nil {
			if a.isRevoked(err) {
				stop()
				return
			}
			if fault.CodeOf(err) != edgeclient.CodeNetwork {
				if _, perr := a.client.NewSession(apiKey).Token(ctx); a.isRevoked(perr) {
					stop()
					return
				}
			}
			a.log.Info("heartbeat failed", "err", err)
		}
	}
	beat()
	periodic.Run(ctx, a.cfg.Heartbeat, poke, beat)
}

// isRevoked handles a refused device key: the device was revoked on the site, so the key is
// forgotten and the add-on offers to connect again.
func (a *Agent) isRevoked(err error) bool {
	if fault.CodeOf(err) != edgeclient.CodeAuthFailed {
		return false
	}
	a.log.Warn("device key refused; forgetting it", "err", err)
	a.later(func() { a.onUnpair("", "This Blender was disconnected from your account. Connect it again to import.") })
	return true
}

// Import implements importer.Blender: it asks the add-on and waits for its answer.
func (a *Agent) Import(ctx context.Context, req stdio.Import) (stdio.Imported, error) {
	ch := make(chan reply, 1)
	a.mu.Lock()
	a.waiting[req.ImportID] = ch
	a.mu.Unlock()
	a.send(stdio.TypeImport, "", req)
	select {
	case r := <-ch:
		if r.fail != nil {
			code := r.fail.Code
			if !reCode.MatchString(string(code)) {
				code = importer.CodeBlenderError
			}
			return stdio.Imported{}, importer.Fail(code, r.fail.Message, nil)
		}
		return *r.ok, nil
	case <-ctx.Done():
		a.mu.Lock()
		delete(a.waiting, req.ImportID)
		a.mu.Unlock()
		return stdio.Imported{}, ctx.Err()
	}
}

var reCode = regexp.MustCompile(`^[A-Z][A-Z0-9_]{1,63}$`)

// Progress and Final implement importer.Notifier.
func (a *Agent) Progress(p stdio.Progress) { a.send(stdio.TypeProgress, "", p) }
func (a *Agent) Final(s stdio.ImportStatus) {
	a.send(stdio.TypeImportStatus, "", s)
	a.pokeAccount() // a refusal may mean the subscription changed
}

// classify maps download and extraction errors to codes (the innermost coded error's, so a cache
// fill that failed on a download keeps the download's code); only network trouble is worth a retry.
func classify(err error) (string, bool) {
	if code := fault.CodeOf(err); code.From("download") || code.From("extract") {
		return string(code), code.Retryable()
	}
	return "", false
}

func jitter(d time.Duration) time.Duration { return d/2 + rand.N(d/2+1) }

func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}

// edgeAdapter gives the pipeline the edge in its own terms (importer.Edge).
type edgeAdapter struct {
	c *edgeclient.Client
	s *edgeclient.Session
}

func (e *edgeAdapter) Redeem(ctx context.Context, id, token string) (importer.Delivered, error) {
	return delivered(e.c.Redeem(ctx, e.s, id, token))
}

func (e *edgeAdapter) Redeliver(ctx context.Context, id string) (importer.Delivered, error) {
	return delivered(e.c.Redeliver(ctx, e.s, id))
}

func delivered(r edgeclient.Redemption, err error) (importer.Delivered, error) {
	if err != nil {
		return importer.Delivered{}, translate(err)
	}
	return importer.Delivered{URL: r.DownloadURL, TexturesURL: r.TexturesURL, Signed: r.Delivery, ServerTime: r.ServerTime}, nil
}

func (e *edgeAdapter) Reissue(ctx context.Context, id string) (string, error) {
	tok, err := e.c.Reissue(ctx, e.s, id)
	if fault.CodeOf(err) == edgeclient.CodeConflict {
		return "", errors.Join(importer.ErrNotQueued, err) // redeemed already: a fresh delivery, not a token
	}
	if err != nil {
		err = translate(err)
		if errors.Is(err, importer.ErrTokenRejected) {
			return "", importer.ErrGone
		}
	}
	return tok, err
}

func (e *edgeAdapter) Report(ctx context.Context, id, status string, progress int, code, msg string) error {
	return translate(e.c.ReportStatus(ctx, e.s, id, status, progress, code, msg))
}

// translate maps the edge's error codes onto the pipeline's decisions; the rest stay coded
// causes, which the pipeline waits out when they are retryable.
func translate(err error) error {
	if err == nil {
		return nil
	}
	switch code := fault.CodeOf(err); code {
	case codes.InvalidToken:
		return importer.ErrTokenRejected
	case codes.NotFound, codes.Conflict, codes.AuthFailed, codes.InsufficientPermissions:
		return errors.Join(importer.ErrGone, err)
	case codes.SubscriptionRequired:
		return importer.Fail(importer.CodeSubscriptionRequired, codes.SubscriptionRequired.Blender(), err)
	default:
		return err
	}
}
