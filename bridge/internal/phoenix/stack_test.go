package phoenix

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/octanebridge/octane-bridge/bridge/internal/edgeclient"
	"github.com/octanebridge/octane-bridge/internal/testenv"

	"github.com/octanebridge/octane-bridge/bridge/internal/fault"
	"github.com/octanebridge/octane-bridge/internal/codes"
)

const paidShader = "a0000000-0000-4000-8000-000000000002" // seed placeholder with a version row

type rtStack struct {
	testenv.StackInfo
	userJWT string
	edge    *edgeclient.Client
}

func newRTStack(t *testing.T) *rtStack {
	t.Helper()
	st := &rtStack{StackInfo: testenv.Stack(t)}
	st.userJWT = st.ProJWT(t)
	st.edge = edgeclient.New(edgeclient.Config{EdgeURL: st.EdgeURL, SupabaseURL: st.SupabaseURL, AnonKey: st.AnonKey,
		HTTP: &http.Client{Timeout: 20 * time.Second}})
	return st
}

// pair runs the device flow and returns a session for the new device.
func (st *rtStack) pair(t *testing.T) (*edgeclient.Session, string) {
	s, dev, _ := st.pairKey(t)
	return s, dev
}

func (st *rtStack) pairKey(t *testing.T) (*edgeclient.Session, string, string) {
	t.Helper()
	ctx := context.Background()
	a, err := st.edge.Authorize(ctx, edgeclient.DeviceInfo{Platform: "blender", Name: "phoenix test"})
	if err != nil {
		t.Fatal(err)
	}
	if code := st.EdgeJSON(t, http.MethodPost, "/v1/devices/approve", st.userJWT, map[string]string{"user_code": a.UserCode}, nil); code != http.StatusOK {
		t.Fatalf("approve = %d", code)
	}
	a.Interval = time.Second // approved already: the first poll answers
	k, err := st.edge.PollToken(ctx, a)
	if err != nil {
		t.Fatal(err)
	}
	return st.edge.NewSession(k.APIKey), k.DeviceID, k.APIKey
}

func (st *rtStack) createImport(t *testing.T, device string) string {
	t.Helper()
	var out struct {
		ImportID string `json:"import_id"`
	}
	if code := st.EdgeJSON(t, http.MethodPost, "/v1/imports", st.userJWT,
		map[string]string{"shader_id": paidShader, "device_id": device}, &out); code != http.StatusCreated {
		t.Fatalf("POST /v1/imports = %d", code)
	}
	return out.ImportID
}

func wsURL(httpURL string) string {
	return "ws" + strings.TrimPrefix(httpURL, "http") + "/realtime/v1/websocket"
}

// recorder collects what a client reports.
type recorder struct {
	mu      sync.Mutex
	joined  int
	events  []string
	imports []map[string]any
	states  []error // nil = online
	changed chan struct{}
}

func newRecorder() *recorder { return &recorder{changed: make(chan struct{}, 1)} }

func (r *recorder) poke() {
	select {
	case r.changed <- struct{}{}:
	default:
	}
}

func (r *recorder) onBroadcast(event string, payload json.RawMessage) {
	r.mu.Lock()
	r.events = append(r.events, event)
	if event == "import_request" {
		var m map[string]any
		json.Unmarshal(payload, &m)
		r.imports = append(r.imports, m)
	}
	r.mu.Unlock()
	r.poke()
}

func (r *recorder) onJoined() {
	r.mu.Lock()
	r.joined++
	r.mu.Unlock()
	r.poke()
}

func (r *recorder) onState(online bool, err error) {
	r.mu.Lock()
	if online {
		err = nil
	} else if err == nil {
		err = errors.New("offline")
	}
	r.states = append(r.states, err)
	r.mu.Unlock()
	r.poke()
}

// wait polls cond under the lock until it holds or the deadline passes.
func (r *recorder) wait(t *testing.T, what string, d time.Duration, cond func(r *recorder) bool) {
	t.Helper()
	deadline := time.After(d)
	for {
		r.mu.Lock()
		ok := cond(r)
		r.mu.Unlock()
		if ok {
			return
		}
		select {
		case <-r.changed:
		case <-time.After(50 * time.Millisecond):
		case <-deadline:
			t.Fatalf("timed out waiting for %s", what)
		}
	}
}

func (r *recorder) hasImport(id string) bool {
	for _, m := range r.imports {
		if m["import_id"] == id {
			return true
		}
	}
	return false
}

type testWriter struct{ t *testing.T }

func (w testWriter) Write(b []byte) (int, error) {
	w.t.Log(strings.TrimSpace(string(b)))
	return len(b), nil
}

func startClient(t *testing.T, url, anon string, token func(context.Context) (string, error), topic string, rec *recorder) (*Client, context.CancelFunc, chan error) {
	t.Helper()
	c := New(Config{URL: url, APIKey: anon, Token: token, HTTP: &http.Client{Timeout: 10 * time.Second},
		Logger:    slog.New(slog.NewTextHandler(testWriter{t}, &slog.HandlerOptions{Level: slog.LevelDebug})),
		Heartbeat: 300 * time.Millisecond, MinBackoff: 50 * time.Millisecond, MaxBackoff: 400 * time.Millisecond, JoinTimeout: 3 * time.Second})
	c.OnState(rec.onState)
	c.Join(topic, rec.onBroadcast, rec.onJoined)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- c.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			t.Error("Run did not return after cancel")
		}
	})
	return c, cancel, done
}

func TestJoinReceivesImportRequestAndRefusesAnotherDevice(t *testing.T) {
	st := newRTStack(t)
	sessA, devA := st.pair(t)
	_, devB := st.pair(t)

	rec := newRecorder()
	c, cancel, done := startClient(t, wsURL(st.SupabaseURL), st.AnonKey, sessA.Token, "device:"+devA, rec)
	rec.wait(t, "join", 10*time.Second, func(r *recorder) bool { return r.joined == 1 })

	id := st.createImport(t, devA)
	rec.wait(t, "import_request", 10*time.Second, func(r *recorder) bool { return r.hasImport(id) })
	rec.mu.Lock()
	if tok, _ := rec.imports[0]["token"].(string); !strings.HasPrefix(tok, "oit1.") {
		t.Errorf("import_request without a token: %v", rec.imports[0])
	}
	rec.mu.Unlock()

	// Device A's JWT cannot listen on device B's topic: the join is refused with the reason.
	recB := newRecorder()
	c.Join("device:"+devB, recB.onBroadcast, recB.onJoined)
	rec.wait(t, "refusal", 10*time.Second, func(r *recorder) bool {
		for _, e := range r.states {
			if je := fault.Outermost(e); je != nil && je.Code == codes.ChannelRefused && je.Topic == "realtime:device:"+devB && strings.Contains(je.Msg, "Unauthorized") {
				return true
			}
		}
		return false
	})
	// B's imports never reach A.
	idB := st.createImport(t, devB)
	time.Sleep(500 * time.Millisecond)
	recB.mu.Lock()
	if recB.joined != 0 || len(recB.events) != 0 {
		t.Errorf("device B's channel joined %d times, %d events", recB.joined, len(recB.events))
	}
	recB.mu.Unlock()
	rec.mu.Lock()
	if rec.hasImport(idB) {
		t.Error("device A received device B's import")
	}
	rec.mu.Unlock()

	// Graceful close.
	start := time.Now()
	cancel()
	if err := <-done; err != nil || time.Since(start) > 3*time.Second {
		t.Fatalf("Run returned %v after %v", err, time.Since(start))
	}
	done <- nil // for the cleanup
}

func TestReconnectsAfterTheConnectionIsKilled(t *testing.T) {
	st := newRTStack(t)
	sess, dev := st.pair(t)
	px := newProxy(t, strings.TrimPrefix(st.SupabaseURL, "http://"))
	rec := newRecorder()
	startClient(t, "ws://"+px.addr()+"/realtime/v1/websocket", st.AnonKey, sess.Token, "device:"+dev, rec)
	rec.wait(t, "join", 10*time.Second, func(r *recorder) bool { return r.joined == 1 })

	// The TCP connection dies without a close frame.
	px.killAll()
	rec.wait(t, "re-join", 10*time.Second, func(r *recorder) bool { return r.joined == 2 })
	id := st.createImport(t, dev)
	rec.wait(t, "import after reconnect", 10*time.Second, func(r *recorder) bool { return r.hasImport(id) })

	// The link goes silent (packets dropped, socket open): the missed heartbeat reply forces a reconnect.
	px.freezeAll()
	rec.wait(t, "re-join after heartbeat timeout", 10*time.Second, func(r *recorder) bool { return r.joined == 3 })
	rec.mu.Lock()
	var sawTimeout bool
	for _, e := range rec.states {
		sawTimeout = sawTimeout || (e != nil && strings.Contains(e.Error(), "heartbeat timeout"))
	}
	rec.mu.Unlock()
	if !sawTimeout {
		t.Error("no heartbeat timeout reported")
	}
}

// TestOutageOfTheStandIn stops the stand-in for a few seconds (the same port comes back): the
// client reports offline, keeps retrying within its backoff cap, re-joins and catches the next
// import. The timers are shortened; the behaviour is the 30 s outage of production.
func TestOutageOfTheStandIn(t *testing.T) {
	st := newRTStack(t)
	sess, dev := st.pair(t)
	if _, err := sess.Token(context.Background()); err != nil { // cached: the edge is up throughout
		t.Fatal(err)
	}
	rec := newRecorder()
	startClient(t, wsURL(st.SupabaseURL), st.AnonKey, sess.Token, "device:"+dev, rec)
	rec.wait(t, "join", 10*time.Second, func(r *recorder) bool { return r.joined == 1 })

	st.Supabase.Stop()
	rec.wait(t, "offline", 5*time.Second, func(r *recorder) bool { return len(r.states) > 0 && r.states[len(r.states)-1] != nil })
	time.Sleep(2 * time.Second)
	rec.mu.Lock()
	failures := len(rec.states)
	rec.mu.Unlock()
	if failures < 3 { // 2 s of outage with a 400 ms cap: several attempts, not one long sleep
		t.Errorf("only %d offline reports during the outage", failures)
	}
	if err := st.Supabase.Start(); err != nil {
		t.Fatal(err)
	}
	rec.wait(t, "re-join after the outage", 10*time.Second, func(r *recorder) bool { return r.joined == 2 })
	id := st.createImport(t, dev)
	rec.wait(t, "import after the outage", 10*time.Second, func(r *recorder) bool { return r.hasImport(id) })
}

func TestAccessTokenPushes(t *testing.T) {
	st := newRTStack(t)
	sess, dev, key := st.pairKey(t)
	rec := newRecorder()
	c, _, _ := startClient(t, wsURL(st.SupabaseURL), st.AnonKey, sess.Token, "device:"+dev, rec)
	rec.wait(t, "join", 10*time.Second, func(r *recorder) bool { return r.joined == 1 })

	// A token the server refuses closes the channel; the client re-joins with a good one.
	c.SetAccessToken("not-a-jwt")
	rec.wait(t, "re-join after a refused token", 10*time.Second, func(r *recorder) bool { return r.joined == 2 })

	// A valid new token (another exchange of the same key) keeps the membership.
	fresh, err := st.edge.NewSession(key).Token(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	c.SetAccessToken(fresh)
	time.Sleep(time.Second)
	id := st.createImport(t, dev)
	rec.wait(t, "import with the pushed token", 10*time.Second, func(r *recorder) bool { return r.hasImport(id) })
	rec.mu.Lock()
	if rec.joined != 2 {
		t.Errorf("a valid token push re-joined (%d joins)", rec.joined)
	}
	rec.mu.Unlock()
}

// proxy forwards TCP to target and can kill or silence the connections it carries.
type proxy struct {
	t      *testing.T
	ln     net.Listener
	target string
	mu     sync.Mutex
	pairs  []*pipePair
}

type pipePair struct {
	a, b   net.Conn
	mu     sync.Mutex
	frozen bool
}

func newProxy(t *testing.T, target string) *proxy {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &proxy{t: t, ln: ln, target: target}
	t.Cleanup(func() { ln.Close(); p.killAll() })
	go p.serve()
	return p
}

func (p *proxy) addr() string { return p.ln.Addr().String() }

func (p *proxy) serve() {
	for {
		a, err := p.ln.Accept()
		if err != nil {
			return
		}
		b, err := net.Dial("tcp", p.target)
		if err != nil {
			a.Close()
			continue
		}
		pp := &pipePair{a: a, b: b}
		p.mu.Lock()
		p.pairs = append(p.pairs, pp)
		p.mu.Unlock()
		go pp.copy(a, b)
		go pp.copy(b, a)
	}
}

func (pp *pipePair) copy(dst, src net.Conn) {
	buf := make([]byte, 32<<10)
	for {
		n, err := src.Read(buf)
		if n > 0 {
			pp.mu.Lock()
			frozen := pp.frozen
			pp.mu.Unlock()
			if !frozen {
				if _, werr := dst.Write(buf[:n]); werr != nil {
					return
				}
			}
		}
		if err != nil {
			if err != io.EOF {
				dst.Close()
			}
			dst.Close()
			return
		}
	}
}

func (p *proxy) killAll() {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, pp := range p.pairs {
		pp.a.Close()
		pp.b.Close()
	}
	p.pairs = nil
}

func (p *proxy) freezeAll() {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, pp := range p.pairs {
		pp.mu.Lock()
		pp.frozen = true
		pp.mu.Unlock()
	}
}

// TestRefreshedTokenKeepsTheChannel runs with 8 s device JWTs. A client whose Token refreshes
// (the Session, through heartbeats) keeps its one membership past the first JWT's expiry; a
// client stuck with the first JWT is closed by the server when it expires, as Realtime does.
func TestRefreshedTokenKeepsTheChannel(t *testing.T) {
	if testing.Short() {
		t.Skip("waits two token lifetimes")
	}
	st := &rtStack{StackInfo: testenv.StackWith(t, testenv.StackOptions{EdgeEnv: map[string]string{"DEVICE_TOKEN_TTL": "8s"}})}
	st.userJWT = st.ProJWT(t)
	st.edge = edgeclient.New(edgeclient.Config{EdgeURL: st.EdgeURL, SupabaseURL: st.SupabaseURL, AnonKey: st.AnonKey,
		HTTP: &http.Client{Timeout: 20 * time.Second}})
	sess, dev, key := st.pairKey(t)
	live, stuck := newRecorder(), newRecorder()
	c, _, _ := startClient(t, wsURL(st.SupabaseURL), st.AnonKey, sess.Token, "device:"+dev, live)
	sess.OnRefresh(c.SetAccessToken)
	live.wait(t, "join", 10*time.Second, func(r *recorder) bool { return r.joined == 1 })
	// Minted after the live client's first JWT, so it expires no earlier: the sweep that closes
	// the stuck client would close an unrefreshed live one too.
	first, err := st.edge.NewSession(key).Token(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	startClient(t, wsURL(st.SupabaseURL), st.AnonKey,
		func(context.Context) (string, error) { return first, nil }, "device:"+dev, stuck)
	stuck.wait(t, "stuck client closed at expiry", 20*time.Second, func(r *recorder) bool {
		for _, e := range r.states {
			if e != nil && strings.Contains(e.Error(), "closed by the server") {
				return true
			}
		}
		return false
	})
	time.Sleep(2 * time.Second) // past the stand-in's next expiry sweep
	id := st.createImport(t, dev)
	live.wait(t, "import on the kept channel", 10*time.Second, func(r *recorder) bool { return r.hasImport(id) })
	live.mu.Lock()
	defer live.mu.Unlock()
	if live.joined != 1 {
		t.Fatalf("the refreshing client re-joined (%d joins): its token was not pushed", live.joined)
	}
}
