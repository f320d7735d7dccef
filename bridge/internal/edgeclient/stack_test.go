package edgeclient

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/octanebridge/octane-bridge/bridge/internal/fault"
	"github.com/octanebridge/octane-bridge/internal/shaderpkg"
	"github.com/octanebridge/octane-bridge/internal/testenv"
)

// fakeClock is the session's clock in tests: it moves only when told.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (f *fakeClock) Now() time.Time {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.t
}

func (f *fakeClock) Add(d time.Duration) {
	f.mu.Lock()
	f.t = f.t.Add(d)
	f.mu.Unlock()
}

// countingTransport counts requests per path.
type countingTransport struct {
	next http.RoundTripper
	mu   sync.Mutex
	n    map[string]int
}

func (c *countingTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	c.mu.Lock()
	c.n[r.URL.Path]++
	c.mu.Unlock()
	return c.next.RoundTrip(r)
}

func (c *countingTransport) count(path string) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.n[path]
}

type edgeStack struct {
	testenv.StackInfo
	userJWT string
	db      *pgx.Conn
	clock   *fakeClock
	rt      *countingTransport
	client  *Client
	shader  string // a published, paid shader with version 1.0.1 backed by a real package in S3
	pkgSHA  string
}

func newEdgeStack(t *testing.T) *edgeStack {
	t.Helper()
	st := &edgeStack{StackInfo: testenv.Stack(t)}
	st.db = st.Conn(t)
	st.userJWT = st.ProJWT(t)
	st.clock = &fakeClock{t: time.Now()}
	st.rt = &countingTransport{next: http.DefaultTransport, n: map[string]int{}}
	st.client = New(Config{EdgeURL: st.EdgeURL, SupabaseURL: st.SupabaseURL, AnonKey: st.AnonKey,
		HTTP: &http.Client{Timeout: 20 * time.Second, Transport: st.rt}, UserAgent: "edgeclient-test", Now: st.clock.Now})
	st.client.after = func(time.Duration) <-chan time.Time { return time.After(10 * time.Millisecond) }
	st.publish(t)
	return st
}

// publish gives the seed's paid placeholder shader a real version: a committed demo package,
// uploaded to S3 under a fresh key, its manifest in shader_versions.
func (st *edgeStack) publish(t *testing.T) {
	t.Helper()
	_, zip := testenv.ReadDemoPackage(t, "brushed-steel")
	pkg, err := shaderpkg.ReadPackageBytes(zip)
	if err != nil {
		t.Fatal(err)
	}
	key := "test/edgeclient-" + randHex(8) + "/brushed-steel-1.0.1.zip"
	st.S3.PutObject(t, key, zip, "application/zip")
	st.shader = "a0000000-0000-4000-8000-000000000002" // Red Car Paint (placeholder), not free
	if _, err := st.db.Exec(context.Background(), `insert into public.shader_versions
		(shader_id, version, package_key, sha256, size, manifest, manifest_sig) values ($1, '1.0.1', $2, $3, $4, $5, 'local-1.unused')`,
		st.shader, key, pkg.SHA256, pkg.Size, string(pkg.ManifestJSON)); err != nil {
		t.Fatal(err)
	}
	st.pkgSHA = pkg.SHA256
}

func randHex(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return hex.EncodeToString(b)
}

// pair runs RFC 8628 end to end: the bridge asks, the signed-in pro user approves the code.
func (st *edgeStack) pair(t *testing.T, name string) DeviceKey {
	t.Helper()
	ctx := context.Background()
	a, err := st.client.Authorize(ctx, DeviceInfo{Name: name, Platform: "blender", PlatformVersion: "3.4.1",
		AddonVersion: "0.1.0", BridgeVersion: "test", OS: "linux/amd64"})
	if err != nil {
		t.Fatal(err)
	}
	if a.Interval != 5*time.Second || a.ExpiresIn <= 0 || a.VerificationURIComplete == "" {
		t.Fatalf("authorization %+v", a)
	}
	if code := st.EdgeJSON(t, http.MethodPost, "/v1/devices/approve", st.userJWT, map[string]string{"user_code": a.UserCode}, nil); code != http.StatusOK {
		t.Fatalf("approve = %d", code)
	}
	k, err := st.client.PollToken(ctx, a)
	if err != nil {
		t.Fatal(err)
	}
	if k.APIKey == "" || k.DeviceID == "" || k.UserID != testenv.ProUserID {
		t.Fatalf("device key %+v", k)
	}
	return k
}

func (st *edgeStack) createImport(t *testing.T, device string) string {
	t.Helper()
	var out struct {
		ImportID string `json:"import_id"`
		Status   string `json:"status"`
	}
	code := st.EdgeJSON(t, http.MethodPost, "/v1/imports", st.userJWT,
		map[string]string{"shader_id": st.shader, "version": "1.0.1", "device_id": device}, &out)
	if code != http.StatusCreated || out.ImportID == "" {
		t.Fatalf("POST /v1/imports = %d %+v", code, out)
	}
	return out.ImportID
}

func (st *edgeStack) importRow(t *testing.T, id string) (status string, progress int) {
	t.Helper()
	if err := st.db.QueryRow(context.Background(), `select status::text, progress from public.imports where id = $1`, id).
		Scan(&status, &progress); err != nil {
		t.Fatal(err)
	}
	return status, progress
}

func TestPairRedeemAndReportAgainstTheStack(t *testing.T) {
	st := newEdgeStack(t)
	ctx := context.Background()
	key := st.pair(t, "edgeclient test Blender")

	sess := st.client.NewSession(key.APIKey)
	var refreshed atomic.Int32
	sess.OnRefresh(func(string) { refreshed.Add(1) })
	jwt, err := sess.Token(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if sess.DeviceID() != key.DeviceID || sess.UserID() != testenv.ProUserID || jwt == "" || refreshed.Load() != 1 {
		t.Fatalf("session device %q user %q refreshed %d", sess.DeviceID(), sess.UserID(), refreshed.Load())
	}
	if err := st.client.Heartbeat(ctx, sess, Blender{}); err != nil {
		t.Fatal(err)
	}
	var seen bool
	st.db.QueryRow(ctx, `select last_seen_at is not null from public.devices where id = $1`, key.DeviceID).Scan(&seen)
	if !seen {
		t.Fatal("heartbeat did not mark the device as seen")
	}

	// The site queues an import; the bridge finds it among its pending imports.
	id := st.createImport(t, key.DeviceID)
	pending, err := st.client.PendingImports(ctx, sess)
	if err != nil {
		t.Fatal(err)
	}
	if len(pending) != 1 || pending[0].ImportID != id || pending[0].ShaderID != st.shader || pending[0].Version != "1.0.1" ||
		pending[0].ShaderSlug != "placeholder-red-car-paint" || pending[0].ExpiresAt.Before(time.Now()) {
		t.Fatalf("pending %+v", pending)
	}

	// Its broadcast token is not ours here: ask for a fresh one, then redeem it.
	tok, err := st.client.Reissue(ctx, sess, id)
	if err != nil {
		t.Fatal(err)
	}
	red, err := st.client.Redeem(ctx, sess, id, tok)
	if err != nil {
		t.Fatal(err)
	}
	d, err := shaderpkg.VerifyDelivery(shaderpkg.LocalDevKeyring().PublicKeys(), red.Delivery, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if d.ImportID != id || d.SHA256 != st.pkgSHA {
		t.Fatalf("delivery %+v", d)
	}
	if red.ExpiresAt.Before(time.Now()) || red.ExpiresAt.After(time.Now().Add(301*time.Second)) {
		t.Fatalf("download expires at %v", red.ExpiresAt)
	}
	// The presigned URL serves exactly the package.
	resp, err := http.Get(red.DownloadURL)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if sum := sha256.Sum256(body); resp.StatusCode != http.StatusOK || hex.EncodeToString(sum[:]) != st.pkgSHA {
		t.Fatalf("download %d, %d bytes", resp.StatusCode, len(body))
	}

	// A replayed token is refused.
	if _, err := st.client.Redeem(ctx, sess, id, tok); fault.CodeOf(err) != "INVALID_TOKEN" {
		t.Fatalf("replayed token: %v", err)
	}
	if _, err := st.client.Redeem(ctx, sess, id, "oit1.nope.e30.AAAA"); fault.CodeOf(err) != "INVALID_TOKEN" {
		t.Fatalf("forged token: %v", err)
	}

	// Each step reaches the row.
	for _, step := range []struct {
		status   string
		progress int
	}{{"downloading", 0}, {"downloading", 42}, {"verifying", -1}, {"importing", -1}, {"done", -1}} {
		if err := st.client.ReportStatus(ctx, sess, id, step.status, step.progress, "", ""); err != nil {
			t.Fatalf("%s: %v", step.status, err)
		}
		status, progress := st.importRow(t, id)
		if status != step.status || (step.progress > 0 && progress != step.progress) {
			t.Fatalf("after %s/%d: row %s/%d", step.status, step.progress, status, progress)
		}
	}
	if status, progress := st.importRow(t, id); status != "done" || progress != 100 {
		t.Fatalf("final row %s %d", status, progress)
	}
	if err := st.client.ReportStatus(ctx, sess, id, "downloading", 10, "", ""); fault.CodeOf(err) != "CONFLICT" {
		t.Fatalf("done -> downloading: %v", err)
	}
	if err := st.client.ReportStatus(ctx, sess, "00000000-0000-4000-8000-000000000000", "downloading", 1, "", ""); fault.CodeOf(err) != "NOT_FOUND" {
		t.Fatalf("unknown import: %v", err)
	}

	// A failure carries its code to the row.
	id2 := st.createImport(t, key.DeviceID)
	tok2, err := st.client.Reissue(ctx, sess, id2)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.client.Redeem(ctx, sess, id2, tok2); err != nil {
		t.Fatal(err)
	}
	if err := st.client.ReportStatus(ctx, sess, id2, "failed", -1, "HASH_MISMATCH", "the package did not match"); err != nil {
		t.Fatal(err)
	}
	var code string
	st.db.QueryRow(ctx, `select error_code from public.imports where id = $1`, id2).Scan(&code)
	if code != "HASH_MISMATCH" {
		t.Fatalf("error_code %q", code)
	}
	if n := st.rt.count("/v1/auth/token"); n != 1 {
		t.Fatalf("%d token exchanges for one session within its lifetime", n)
	}
}

func TestWrongDeviceAndRevocation(t *testing.T) {
	st := newEdgeStack(t)
	ctx := context.Background()
	a := st.pair(t, "device A")
	b := st.pair(t, "device B")
	sa, sb := st.client.NewSession(a.APIKey), st.client.NewSession(b.APIKey)
	id := st.createImport(t, a.DeviceID)

	// Device B cannot touch device A's import.
	if _, err := st.client.Reissue(ctx, sb, id); fault.CodeOf(err) != "NOT_FOUND" {
		t.Fatalf("reissue by the wrong device: %v", err)
	}
	if err := st.client.ReportStatus(ctx, sb, id, "downloading", 5, "", ""); fault.CodeOf(err) != "NOT_FOUND" {
		t.Fatalf("report by the wrong device: %v", err)
	}
	tok, err := st.client.Reissue(ctx, sa, id)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.client.Redeem(ctx, sb, id, tok); fault.CodeOf(err) != "INVALID_TOKEN" {
		t.Fatalf("redeem of A's token by B: %v", err)
	}
	if p, err := st.client.PendingImports(ctx, sb); err != nil || len(p) != 0 {
		t.Fatalf("B's pending: %v %v", p, err)
	}

	// Revoke A on the site. Its cached JWT is still within its lifetime...
	if _, err := sa.Token(ctx); err != nil {
		t.Fatal(err)
	}
	if code := st.EdgeJSON(t, http.MethodDelete, "/v1/devices/"+a.DeviceID, st.userJWT, nil, nil); code != http.StatusNoContent {
		t.Fatalf("revoke = %d", code)
	}
	// ...but a refused RPC makes the client check the key at once: AUTH_FAILED, not a stale success.
	if err := st.client.Heartbeat(ctx, sa, Blender{}); fault.CodeOf(err) != CodeAuthFailed {
		t.Fatalf("heartbeat of a revoked device: %v", err)
	}
	// And at the latest when the JWT needs refreshing, the key is refused.
	sa2 := st.client.NewSession(a.APIKey)
	st.clock.Add(15 * time.Minute)
	if _, err := sa2.Token(ctx); fault.CodeOf(err) != CodeAuthFailed || fault.Retryable(err) {
		t.Fatalf("token of a revoked device: %v", err)
	}
	// B is unaffected.
	if err := st.client.Heartbeat(ctx, sb, Blender{}); err != nil {
		t.Fatalf("B after A's revocation: %v", err)
	}
}

func TestSessionRefreshesBeforeExpiry(t *testing.T) {
	st := newEdgeStack(t)
	ctx := context.Background()
	key := st.pair(t, "refresh")
	sess := st.client.NewSession(key.APIKey)
	var got []string
	var mu sync.Mutex
	sess.OnRefresh(func(tok string) { mu.Lock(); got = append(got, tok); mu.Unlock() })

	t1, err := sess.Token(ctx)
	if err != nil {
		t.Fatal(err)
	}
	// The edge's default lifetime is 10 min: still cached 8 minutes later...
	st.clock.Add(8 * time.Minute)
	if t2, _ := sess.Token(ctx); t2 != t1 || st.rt.count("/v1/auth/token") != 1 {
		t.Fatalf("refreshed too early (%d exchanges)", st.rt.count("/v1/auth/token"))
	}
	// ...refreshed within the last minute, before it expires.
	st.clock.Add(90 * time.Second)
	t3, err := sess.Token(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if t3 == t1 || st.rt.count("/v1/auth/token") != 2 {
		t.Fatalf("not refreshed 30 s before expiry (%d exchanges)", st.rt.count("/v1/auth/token"))
	}
	mu.Lock()
	n := len(got)
	last := got[n-1]
	mu.Unlock()
	if n != 2 || last != t3 {
		t.Fatalf("OnRefresh saw %d tokens", n)
	}
	// Concurrent callers share one exchange.
	st.clock.Add(10 * time.Minute)
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(1)
		go func() { defer wg.Done(); sess.Token(ctx) }()
	}
	wg.Wait()
	if n := st.rt.count("/v1/auth/token"); n != 3 {
		t.Fatalf("%d exchanges after 8 concurrent calls, want 3", n)
	}
}

func TestPollHonoursSlowDownAgainstTheEdge(t *testing.T) {
	st := newEdgeStack(t)
	ctx := context.Background()
	a, err := st.client.Authorize(ctx, DeviceInfo{Name: "slow", Platform: "blender"})
	if err != nil {
		t.Fatal(err)
	}
	var waits []time.Duration
	st.client.after = func(d time.Duration) <-chan time.Time {
		waits = append(waits, d)
		if len(waits) == 3 { // the user approves while the bridge backs off
			st.EdgeJSON(t, http.MethodPost, "/v1/devices/approve", st.userJWT, map[string]string{"user_code": a.UserCode}, nil)
		}
		return time.After(time.Millisecond)
	}
	k, err := st.client.PollToken(ctx, a)
	if err != nil {
		t.Fatal(err)
	}
	// pending, then slow_down (polled faster than 5 s), then the key; the wait grew by 5 s.
	if len(waits) != 3 || waits[0] != 5*time.Second || waits[1] != 5*time.Second || waits[2] != 10*time.Second {
		t.Fatalf("waits %v", waits)
	}
	if k.APIKey == "" {
		t.Fatal("no key")
	}
	// The grant is consumed: a second poll is invalid_grant.
	if _, err := st.client.PollToken(ctx, a); fault.CodeOf(err) != CodeInvalidGrant {
		t.Fatalf("second poll: %v", err)
	}
	// A denied code.
	a2, _ := st.client.Authorize(ctx, DeviceInfo{Platform: "blender"})
	st.client.after = func(time.Duration) <-chan time.Time { return time.After(time.Millisecond) }
	if code := st.EdgeJSON(t, http.MethodPost, "/v1/devices/deny", st.userJWT, map[string]string{"user_code": a2.UserCode}, nil); code != http.StatusOK {
		t.Fatalf("deny = %d", code)
	}
	if _, err := st.client.PollToken(ctx, a2); fault.CodeOf(err) != CodeAccessDenied {
		t.Fatalf("denied: %v", err)
	}
}

// TestRateLimitFromTheEdge drives the real limiter (Blender tier) until it answers 429.
func TestRateLimitFromTheEdge(t *testing.T) {
	st := newEdgeStack(t)
	ctx := context.Background()
	key := st.pair(t, "busy")
	sess := st.client.NewSession(key.APIKey)
	id := st.createImport(t, key.DeviceID)
	// Eight at a time, until one is refused; a bad token costs the edge no database write.
	var (
		mu    sync.Mutex
		err   error
		sent  atomic.Int32
		wg    sync.WaitGroup
		limit = make(chan struct{})
		once  sync.Once
	)
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for sent.Add(1) <= 400 {
				select {
				case <-limit:
					return
				default:
				}
				if _, e := st.client.Redeem(ctx, sess, id, "oit1.bad"); fault.CodeOf(e) != "INVALID_TOKEN" {
					mu.Lock()
					err = e
					mu.Unlock()
					once.Do(func() { close(limit) })
					return
				}
			}
		}()
	}
	wg.Wait()
	t.Logf("limited after %d requests", sent.Load())
	if fault.CodeOf(err) != CodeRateLimited || !fault.Retryable(err) || fault.RetryAfter(err) <= 0 || fault.RetryAfter(err) > time.Minute {
		t.Fatalf("after a burst: %v (retry after %v)", err, fault.RetryAfter(err))
	}
	var e *Error
	if !errors.As(err, &e) || e.Status != http.StatusTooManyRequests || e.RequestID == "" {
		t.Fatalf("429 details %+v", e)
	}
}
