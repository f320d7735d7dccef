package httpapi

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/labstack/echo/v4"

	"github.com/octanebridge/octane-bridge/edge/internal/auth"
	"github.com/octanebridge/octane-bridge/edge/internal/postgres"
	"github.com/octanebridge/octane-bridge/edge/internal/ratelimit"
	"github.com/octanebridge/octane-bridge/edge/internal/token"
	"github.com/octanebridge/octane-bridge/internal/apierror"
	"github.com/octanebridge/octane-bridge/internal/shaderpkg"
	"github.com/octanebridge/octane-bridge/internal/testenv"
)

const (
	siteURL   = "http://127.0.0.1:3000"
	edgeURL   = "http://127.0.0.1:8787"
	tokenKeys = "local-1:QN2coReBSxzBANSdzjaLAjkSr7A39nVFb2aHmtMBRMk="
)

var (
	proUser  = uuid.MustParse("11111111-1111-4111-8111-111111111111")
	freeUser = uuid.MustParse("22222222-2222-4222-8222-222222222222")
	opUser   = uuid.MustParse("99999999-9999-4999-8999-999999999999") // the seed's library operator
	pepper   = []byte("pepper-for-tests-pepper-for-tests")
)

// fakePresigner stands in for S3 in router tests; storage has its own tests against versitygw.
type fakePresigner struct{ err error }

func (f fakePresigner) PresignGet(_ context.Context, key string, ttl time.Duration) (string, time.Time, error) {
	return "http://127.0.0.1:9000/octane-packages/" + key + "?X-Amz-Signature=abc", time.Now().Add(ttl), f.err
}

type env struct {
	t      *testing.T
	db     *pgxpool.Pool
	e      *echo.Echo
	d      Deps
	tokens *token.Keyring
	jwts   *auth.JWTs
	logs   *testenv.LogBuffer
	// a published paid shader with a deliverable version
	shader, version uuid.UUID
}

func newEnv(t *testing.T, mod ...func(*Deps)) *env {
	t.Helper()
	cfg, err := pgxpool.ParseConfig(testenv.DB(t))
	if err != nil {
		t.Fatal(err)
	}
	postgres.Configure(cfg) // as the edge does (run.go)
	db, err := pgxpool.NewWithConfig(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(db.Close)
	kr, err := token.ParseKeyring(tokenKeys)
	if err != nil {
		t.Fatal(err)
	}
	jwts, err := auth.NewJWTs([]byte(testenv.JWTSecret()), edgeURL, nil, 10*time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	logs := &testenv.LogBuffer{}
	d := Deps{DB: db, Log: NewLogger(logs, -4), JWTs: jwts, Tokens: kr, Delivery: shaderpkg.LocalDevKeyring(),
		Presigner: fakePresigner{}, Limiter: ratelimit.Limiter{Store: ratelimit.Postgres{DB: db}}, Pepper: pepper,
		SiteURL: siteURL}
	for _, m := range mod {
		m(&d)
	}
	en := &env{t: t, db: db, e: New(d), d: d, tokens: kr, jwts: jwts, logs: logs}
	en.shader, en.version = en.publish(false)
	return en
}

// publish inserts a published shader with one version whose manifest is valid.
func (en *env) publish(free bool) (uuid.UUID, uuid.UUID) {
	en.t.Helper()
	shader, version := uuid.New(), uuid.New()
	slug := "test-" + shader.String()[:8]
	sum := func(s string) string { h := sha256.Sum256([]byte(s)); return hex.EncodeToString(h[:]) }
	m := shaderpkg.Manifest{SchemaVersion: 1, ShaderID: slug, Version: "1.0.0", Name: "Test Steel", MaterialName: "OB_TestSteel",
		Category: "metal", Tags: []string{"metal"}, MinBlender: "3.4", MinOctane: "2024.1", TextureResolutions: []string{"1k"},
		Files: []shaderpkg.File{{Path: "material.blend", SHA256: sum("blend"), Size: 100}, {Path: "preview.webp", SHA256: sum("webp"), Size: 10}}}
	raw, _ := json.Marshal(m)
	if _, err := shaderpkg.ParseManifest(raw); err != nil {
		en.t.Fatalf("test manifest: %v", err)
	}
	sig, err := shaderpkg.SignManifest(shaderpkg.LocalDevKeyring(), raw)
	if err != nil {
		en.t.Fatal(err)
	}
	ctx := context.Background()
	if _, err := en.db.Exec(ctx, `insert into public.shaders (id, slug, name, category_id, is_free, published, latest_version)
		values ($1, $2, 'Test Steel', 'metal', $3, true, '1.0.0')`, shader, slug, free); err != nil {
		en.t.Fatal(err)
	}
	if _, err := en.db.Exec(ctx, `insert into public.shader_versions (id, shader_id, version, package_key, sha256, size, manifest, manifest_sig)
		values ($1, $2, '1.0.0', $3, $4, 2048, $5, $6)`, version, shader, "packages/"+slug+"/1.0.0.zip", sum(slug), raw, sig); err != nil {
		en.t.Fatal(err)
	}
	return shader, version
}

// device inserts a device for user, seen `seen` ago (nil: never).
func (en *env) device(user uuid.UUID, platform string, seen *time.Duration) uuid.UUID {
	en.t.Helper()
	id := uuid.New()
	var last *time.Time
	if seen != nil {
		t := time.Now().Add(-*seen)
		last = &t
	}
	if _, err := en.db.Exec(context.Background(), `insert into public.devices (id, user_id, name, platform, last_seen_at)
		values ($1, $2, 'Test Blender', $3, $4)`, id, user, platform, last); err != nil {
		en.t.Fatal(err)
	}
	return id
}

func (en *env) session(user uuid.UUID) string { en.t.Helper(); return SessionJWT(en.t, user.String()) }

// SessionJWT is a web session of user as the local GoTrue signs it (an hour long). Exported
// (from this test file only) for the router tests of package httpapi_test.
func SessionJWT(t testing.TB, user string) string {
	t.Helper()
	return testenv.SessionJWT(t, testenv.JWTSecret(), user)
}

func (en *env) deviceJWT(user, dev uuid.UUID) string {
	s, _, err := en.jwts.MintDevice(user, dev, "blender", time.Now())
	if err != nil {
		en.t.Fatal(err)
	}
	return s
}

type resp struct {
	Code int
	H    http.Header
	Body []byte
}

func (r resp) json(t *testing.T) map[string]any {
	t.Helper()
	return DecodeJSON[map[string]any](t, r.Code, r.Body)
}

// errCode asserts the error body's shape and returns its code.
func (r resp) errCode(t *testing.T) string { t.Helper(); return string(ErrorCode(t, r.Code, r.Body)) }

// DecodeJSON decodes an answer's JSON body into T. Exported (from this test file only) with
// ErrorCode for the router tests of package httpapi_test: both test packages read answers one way.
func DecodeJSON[T any](t testing.TB, status int, body []byte) T {
	t.Helper()
	var v T
	if err := json.Unmarshal(body, &v); err != nil {
		t.Fatalf("%d %q: %v", status, body, err)
	}
	return v
}

// ErrorCode asserts that body is the common error body (code, message and request id) and that
// status is its code's, and returns the code.
func ErrorCode(t testing.TB, status int, body []byte) apierror.Code {
	t.Helper()
	var b apierror.Body
	if err := json.Unmarshal(body, &b); err != nil || b.Error.Code == "" || b.Error.RequestID == "" || b.Error.Message == "" {
		t.Fatalf("not an error body (%d): %s", status, body)
	}
	if b.Error.Code.Status() != status {
		t.Fatalf("code %s with status %d", b.Error.Code, status)
	}
	return b.Error.Code
}

func (en *env) do(method, path, cred string, body any, hdr ...string) resp {
	en.t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	default:
		raw, _ := json.Marshal(b)
		rd = bytes.NewReader(raw)
	}
	req := httptest.NewRequest(method, path, rd)
	req.RemoteAddr = "192.0.2.10:5555"
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if cred != "" {
		req.Header.Set("Authorization", "Bearer "+cred)
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	rec := httptest.NewRecorder()
	en.e.ServeHTTP(rec, req)
	return resp{rec.Code, rec.Header(), rec.Body.Bytes()}
}
