// Package agent is the bridge's control loop: it answers the add-on over stdio, pairs the
// device, keeps the Realtime link to device:<id> alive, and feeds the import pipeline.
package agent

import (
	"context"
	"crypto/ed25519"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"sync"
	"time"

	"github.com/octanebridge/octane-bridge/bridge/internal/cache"
	"github.com/octanebridge/octane-bridge/bridge/internal/edgeclient"
	"github.com/octanebridge/octane-bridge/bridge/internal/extract"
	"github.com/octanebridge/octane-bridge/bridge/internal/fault"
	"github.com/octanebridge/octane-bridge/bridge/internal/keychain"
	"github.com/octanebridge/octane-bridge/bridge/internal/library"
	"github.com/octanebridge/octane-bridge/bridge/internal/stdio"
	"github.com/octanebridge/octane-bridge/internal/codes"
)

// DefaultCacheMax is the cache size cap when the add-on does not set one.
const DefaultCacheMax = 5 << 30

// Config wires an Agent. Everything the agent touches outside the process is injected.
type Config struct {
	Version   string
	Trusted   map[string]ed25519.PublicKey // delivery keys pinned at build time
	In        io.Reader
	Out       io.Writer
	Log       *slog.Logger
	Keychain  keychain.Store
	HTTP      *http.Client  // API calls (bounded by a timeout)
	Download  *http.Client  // package downloads: no overall timeout, a stalled body is cut by the context
	CacheDir  string        // default cache location (the add-on may override it)
	Heartbeat time.Duration // device heartbeat period; default 30 s
	Realtime  RealtimeTuning
	Level     *slog.LevelVar // the add-on's log_level preference adjusts it
}

// RealtimeTuning lets tests shorten the Realtime client's timers.
type RealtimeTuning struct {
	Heartbeat  time.Duration
	MinBackoff time.Duration
	MaxBackoff time.Duration
}

// credential is what pairing leaves in the keychain.
type credential struct {
	APIKey   string `json:"api_key"`
	DeviceID string `json:"device_id"`
	UserID   string `json:"user_id"`
}

// Agent holds the state of one bridge process.
type Agent struct {
	cfg Config
	out *stdio.Writer
	log *slog.Logger

	mu          sync.Mutex
	hello       *stdio.Hello
	ends        endpoints
	client      *edgeclient.Client
	cache       *cache.Cache
	library     *library.Library // the cache's entries with their signed records (set with cache)
	cred        *credential
	acct        edgeclient.Account // who the device is paired to; refreshed while online
	accountPoke chan struct{}      // asks the link's watchAccount for a fresh read
	status      stdio.Status       // state and message; statusLocked adds the pairing's details
	pairing     context.CancelFunc
	link        context.CancelFunc
	linkDone    chan struct{}
	waiting     map[string]chan reply // import id -> the add-on's answer
	bl          blenderState          // this bridge's Blender among the machine's (blenders.go)
	do          chan func()           // work other goroutines hand to the control loop
}

type reply struct {
	ok   *stdio.Imported
	fail *stdio.ImportFailed
}

func New(cfg Config) *Agent {
	if cfg.Heartbeat <= 0 {
		cfg.Heartbeat = 30 * time.Second
	}
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	if cfg.Download == nil {
		cfg.Download = cfg.HTTP
	}
	return &Agent{cfg: cfg, out: stdio.NewWriter(cfg.Out), log: cfg.Log, waiting: map[string]chan reply{},
		do: make(chan func(), 8), status: stdio.Status{State: stdio.StateUnpaired}}
}

// Run serves the add-on until stdin closes, a shutdown message arrives or ctx ends.
func (a *Agent) Run(ctx context.Context) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	msgs := make(chan stdio.Message)
	readErr := make(chan error, 1)
	go func() {
		r := stdio.NewReader(a.cfg.In)
		for {
			m, err := r.Next()
			var se *stdio.Error
			if errors.As(err, &se) {
				a.send(stdio.TypeError, se.ID, stdio.ErrorMsg{Code: se.Code, Message: se.Msg})
				continue
			}
			if err != nil {
				readErr <- err
				return
			}
			select {
			case msgs <- m:
			case <-ctx.Done():
				return
			}
		}
	}()
	defer a.stopAll()
	for {
		select {
		case <-ctx.Done():
			return nil
		case err := <-readErr:
			if errors.Is(err, io.EOF) || errors.Is(err, os.ErrClosed) {
				a.log.Info("stdin closed; exiting")
				return nil
			}
			return fmt.Errorf("reading stdin: %w", err)
		case f := <-a.do:
			f()
		case m := <-msgs:
			if m.Type == stdio.TypeShutdown {
				a.log.Info("shutdown requested")
				return nil
			}
			a.handle(ctx, m)
		}
	}
}

// later runs f on the control loop, which owns pairing and the link.
func (a *Agent) later(f func()) {
	select {
	case a.do <- f:
	default:
		go func() { a.do <- f }()
	}
}

func (a *Agent) send(typ, re string, body any) {
	if err := a.out.Send(typ, re, body); err != nil {
		a.log.Warn("cannot write to the add-on", "type", typ, "err", err)
	}
}

func (a *Agent) fail(re string, code codes.Code, msg string) {
	a.send(stdio.TypeError, re, stdio.ErrorMsg{Code: code, Message: msg})
}

func (a *Agent) handle(ctx context.Context, m stdio.Message) {
	if m.Type != stdio.TypeHello && a.hello == nil {
		a.fail(m.ID, codes.NotReady, "send hello first")
		return
	}
	switch m.Type {
	case stdio.TypeHello:
		var h stdio.Hello
		if !a.decode(m, &h) {
			return
		}
		a.onHello(ctx, m.ID, h)
	case stdio.TypeStatus:
		a.mu.Lock()
		st := a.statusLocked()
		a.mu.Unlock()
		a.send(stdio.TypeStatus, m.ID, st)
	case stdio.TypePair:
		var p stdio.Pair
		if !a.decode(m, &p) {
			return
		}
		a.onPair(ctx, m.ID, p)
	case stdio.TypeUnpair:
		a.onUnpair(m.ID, "")
	case stdio.TypeCache:
		var c stdio.Cache
		if !a.decode(m, &c) {
			return
		}
		if c.Action != "stats" && c.Action != "clear" {
			a.fail(m.ID, stdio.CodeMalformed, `cache: action must be "stats" or "clear"`)
			return
		}
		if c.Action == "clear" {
			if err := a.cache.Clear(); err != nil {
				a.fail(m.ID, codes.CacheError, err.Error())
				return
			}
		}
		a.send(stdio.TypeCacheStats, m.ID, a.cacheStats())
	case stdio.TypeLibrary:
		a.onLibrary(ctx, m.ID, m)
	case stdio.TypeImported:
		var r stdio.Imported
		if a.decodeAbout(m, &r, &r.ImportID) {
			a.answer(r.ImportID, reply{ok: &r})
		}
	case stdio.TypeCancel:
		a.onCancel(m)
	case stdio.TypeScene:
		a.onScene(m)
	case stdio.TypeRequestImport:
		a.onRequestImport(ctx, m)
	case stdio.TypeShaderInfo:
		a.onShaderInfo(ctx, m)
	case stdio.TypeImportFailed:
		var r stdio.ImportFailed
		if a.decodeAbout(m, &r, &r.ImportID) {
			a.answer(r.ImportID, reply{fail: &r})
		}
	default:
		a.fail(m.ID, stdio.CodeUnknownType, "unknown message type "+m.Type)
	}
}

// decode fills v from m or answers the add-on with Decode's error, which names the field.
func (a *Agent) decode(m stdio.Message, v any) bool {
	err := m.Decode(v)
	var se *stdio.Error
	if errors.As(err, &se) {
		a.send(stdio.TypeError, se.ID, stdio.ErrorMsg{Code: se.Code, Message: se.Msg})
	}
	return err == nil
}

// decodeAbout decodes a message about one import, v with importID pointing into it, and refuses
// an empty import_id: answers and cancels are filed under it.
func (a *Agent) decodeAbout(m stdio.Message, v any, importID *string) bool {
	if !a.decode(m, v) {
		return false
	}
	if *importID == "" {
		a.fail(m.ID, stdio.CodeMalformed, m.Type+": import_id is empty")
		return false
	}
	return true
}

func (a *Agent) cacheStats() stdio.CacheStats {
	s := a.cache.Stats()
	return stdio.CacheStats{Entries: s.Entries, Bytes: s.Bytes, MaxBytes: s.MaxBytes, Dir: s.Dir}
}

func (a *Agent) answer(id string, r reply) {
	a.mu.Lock()
	ch := a.waiting[id]
	delete(a.waiting, id)
	a.mu.Unlock()
	if ch == nil {
		a.log.Warn("answer for an import nobody waits for", "import_id", id)
		return
	}
	ch <- r
}

// statusLocked is the status to report: the connection state and what is known of the pairing.
// a.mu must be held.
func (a *Agent) statusLocked() stdio.Status {
	st := a.status
	if a.cred != nil {
		st.DeviceID = a.cred.DeviceID
		st.Account, st.Subscription = a.acct.Email, a.acct.Subscription
	}
	return st
}

func (a *Agent) setStatus(state, msg string) {
	a.mu.Lock()
	a.status = stdio.Status{State: state, Message: msg}
	st := a.statusLocked()
	a.mu.Unlock()
	a.send(stdio.TypeStatus, "", st)
}

func (a *Agent) onHello(ctx context.Context, re string, h stdio.Hello) {
	if a.hello != nil {
		a.send(stdio.TypeHello, re, a.helloReply()) // a second hello (add-on reload) changes nothing
		return
	}
	ends, err := resolveEndpoints(ctx, a.cfg.HTTP, h)
	if err != nil {
		a.fail(re, codes.ConfigInvalid, err.Error())
		return
	}
	dir := h.CacheDir
	if dir == "" {
		dir = a.cfg.CacheDir
	}
	max := h.CacheMaxBytes
	if max <= 0 {
		max = DefaultCacheMax
	}
	c, err := cache.Open(dir, max)
	if err != nil {
		a.fail(re, codes.CacheError, fmt.Sprintf("cannot open the cache at %s: %v", dir, err))
		return
	}
	if a.cfg.Level != nil && h.LogLevel != "" {
		if err := a.cfg.Level.UnmarshalText([]byte(h.LogLevel)); err != nil {
			a.log.Warn("ignoring unknown log_level", "log_level", h.LogLevel)
		}
	}
	a.hello, a.ends, a.cache = &h, ends, c
	a.library = library.New(dir, c, a.cfg.Trusted, extract.VerifyTree, extract.VerifySet)
	a.mu.Lock()
	a.bl.instance, a.bl.blendFile = instanceFor(h), blendName(h.BlendFile)
	a.mu.Unlock()
	a.client = edgeclient.New(edgeclient.Config{EdgeURL: ends.Edge, SupabaseURL: ends.Supabase, AnonKey: ends.AnonKey,
		HTTP: a.cfg.HTTP, UserAgent: "octane-bridge/" + a.cfg.Version + " (" + runtime.GOOS + "/" + runtime.GOARCH + ")",
		Instance: a.bl.instance})
	cred := a.loadCredential()
	a.mu.Lock()
	a.cred = cred
	a.mu.Unlock()
	a.send(stdio.TypeHello, re, a.helloReply())
	a.log.Info("hello", "addon", h.AddonVersion, "blender", h.BlenderVersion, "edge", ends.Edge, "paired", cred != nil)
	if cred != nil {
		a.startLink(ctx)
	} else {
		a.setStatus(stdio.StateUnpaired, "")
	}
}

func (a *Agent) helloReply() stdio.HelloReply {
	cred := a.credential()
	r := stdio.HelloReply{BridgeVersion: a.cfg.Version, Protocol: stdio.Version, Paired: cred != nil}
	if cred != nil {
		r.DeviceID = cred.DeviceID
	}
	return r
}

func (a *Agent) credential() *credential {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.cred
}

// keychainEntry names the device key's entry: one per edge, so local and production never mix.
func (a *Agent) keychainEntry() string { return "device:" + a.ends.Edge }

func (a *Agent) loadCredential() *credential {
	s, err := a.cfg.Keychain.Get(a.keychainEntry())
	if err != nil {
		if !errors.Is(err, keychain.ErrNotFound) {
			a.log.Warn("keychain unreadable", "err", err)
		}
		return nil
	}
	var c credential
	if json.Unmarshal([]byte(s), &c) != nil || c.APIKey == "" || c.DeviceID == "" {
		a.log.Warn("keychain entry is not a bridge credential; ignoring it")
		return nil
	}
	return &c
}

func (a *Agent) onPair(ctx context.Context, re string, p stdio.Pair) {
	if cred := a.credential(); cred != nil {
		a.send(stdio.TypePaired, re, stdio.Paired{DeviceID: cred.DeviceID})
		return
	}
	if a.pairing != nil {
		a.pairing() // a new request replaces the old code
	}
	pctx, cancel := context.WithCancel(ctx)
	a.pairing = cancel
	name := p.DeviceName
	if name == "" {
		name = a.hello.DeviceName
	}
	if name == "" {
		host, _ := os.Hostname()
		name = fmt.Sprintf("Blender %s on %s", a.hello.BlenderVersion, host)
	}
	info := edgeclient.DeviceInfo{Name: name, Platform: "blender", PlatformVersion: a.hello.BlenderVersion,
		AddonVersion: a.hello.AddonVersion, BridgeVersion: a.cfg.Version, OS: runtime.GOOS + "/" + runtime.GOARCH}
	a.setStatus(stdio.StatePairing, "")
	go func() {
		defer cancel()
		auth, err := a.client.Authorize(pctx, info)
		if err != nil {
			a.pairFailed(re, err)
			return
		}
		a.send(stdio.TypePairCode, re, stdio.PairCode{UserCode: auth.UserCode,
			VerificationURIComplete: auth.VerificationURIComplete, ExpiresIn: int(auth.ExpiresIn.Seconds())})
		key, err := a.client.PollToken(pctx, auth)
		if err != nil {
			a.pairFailed(re, err)
			return
		}
		cred := credential{APIKey: key.APIKey, DeviceID: key.DeviceID, UserID: key.UserID}
		raw, _ := json.Marshal(cred)
		if err := a.cfg.Keychain.Set(a.keychainEntry(), string(raw)); err != nil {
			a.pairFailed(re, fmt.Errorf("cannot store the device key: %w", err))
			return
		}
		a.mu.Lock()
		a.cred = &cred
		a.mu.Unlock()
		a.log.Info("paired", "device_id", cred.DeviceID)
		a.send(stdio.TypePaired, re, stdio.Paired{DeviceID: cred.DeviceID})
		a.startLink(ctx)
	}()
}

func (a *Agent) pairFailed(re string, err error) {
	if errors.Is(err, context.Canceled) {
		return
	}
	code := fault.CodeOf(err)
	msg := ""
	switch code {
	case edgeclient.CodeAccessDenied, edgeclient.CodeExpiredToken, edgeclient.CodeNetwork:
		msg = code.Blender() // the words of schemas/codes.json
	}
	if msg == "" {
		msg = err.Error()
	}
	a.log.Warn("pairing failed", "code", code, "err", err)
	a.send(stdio.TypeError, re, stdio.ErrorMsg{Code: codes.PairingFailed, Message: msg})
	a.setStatus(stdio.StateUnpaired, msg)
}

// onUnpair forgets the device key and stops the link. why is "" when the user asked.
func (a *Agent) onUnpair(re, why string) {
	if a.pairing != nil {
		a.pairing()
		a.pairing = nil
	}
	a.stopLink()
	if err := a.cfg.Keychain.Delete(a.keychainEntry()); err != nil && !errors.Is(err, keychain.ErrNotFound) {
		a.log.Warn("cannot delete the device key", "err", err)
	}
	a.mu.Lock()
	a.cred, a.acct = nil, edgeclient.Account{}
	a.mu.Unlock()
	a.send(stdio.TypeUnpaired, re, nil)
	a.setStatus(stdio.StateUnpaired, why)
}

func (a *Agent) stopAll() {
	if a.pairing != nil {
		a.pairing()
	}
	a.stopLink()
}

func (a *Agent) stopLink() {
	a.mu.Lock()
	cancel, done := a.link, a.linkDone
	a.link, a.linkDone = nil, nil
	a.mu.Unlock()
	if cancel != nil {
		cancel()
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			a.log.Warn("link did not stop in time")
		}
	}
}

// CacheDirDefault is the per-user cache location: <UserCacheDir>/octane-bridge. There is no
// fallback to the system temp directory: it is shared by every local user, and a package
// another user planted there would be handed to Blender.
func CacheDirDefault() (string, error) {
	d, err := os.UserCacheDir()
	if err != nil || d == "" {
		return "", fmt.Errorf("no per-user cache directory (%v): set OCTANE_BRIDGE_CACHE_DIR or the add-on's cache folder", err)
	}
	return filepath.Join(d, "octane-bridge"), nil
}
