package httpapi_test

// Integration tests through the real router against a fresh migrated, seeded database
// (testenv.DB) and the local S3 (versitygw): pairing, import, redemption, single use,
// entitlement at redemption, ownership, rate limits, and the error body of every code.

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"testing/fstest"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/octanebridge/octane-bridge/edge/internal/auth"
	"github.com/octanebridge/octane-bridge/edge/internal/httpapi"
	"github.com/octanebridge/octane-bridge/edge/internal/ratelimit"
	"github.com/octanebridge/octane-bridge/edge/internal/storage"
	"github.com/octanebridge/octane-bridge/edge/internal/token"
	"github.com/octanebridge/octane-bridge/internal/apierror"
	"github.com/octanebridge/octane-bridge/internal/shaderpkg"
	"github.com/octanebridge/octane-bridge/internal/testenv"
)

const (
	proUser  = "11111111-1111-4111-8111-111111111111"
	freeUser = "22222222-2222-4222-8222-222222222222"
	// A paid placeholder shader of the seed.
	paidShader = "a0000000-0000-4000-8000-000000000002"
	siteURL    = "http://127.0.0.1:3000"
	edgeIss    = "http://127.0.0.1:8787"
	localHMAC  = "local-1:QN2coReBSxzBANSdzjaLAjkSr7A39nVFb2aHmtMBRMk="
)

type stack struct {
	t      *testing.T
	h      http.Handler
	db     *pgxpool.Pool
	s3     testenv.S3Config
	bucket string
	bodies []string // every response body, for the no-internals check
	mu     sync.Mutex
}

func newStack(t *testing.T) *stack { t.Helper(); return newStackWith(t, nil) }

// newStackWith is newStack with the router's Deps changed by with (nil: as they are).
func newStackWith(t *testing.T, with func(*httpapi.Deps)) *stack {
	t.Helper()
	url := testenv.DB(t)
	s3c := testenv.S3(t)
	ctx := context.Background()
	pool, err := pgxpool.New(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	jwts, err := auth.NewJWTs([]byte(testenv.JWTSecret()), edgeIss, nil, 10*time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	tokens, err := token.ParseKeyring(localHMAC)
	if err != nil {
		t.Fatal(err)
	}
	presigner, err := storage.New(storage.Config{Endpoint: s3c.Endpoint, Region: s3c.Region, AccessKey: s3c.AccessKey,
		SecretKey: s3c.SecretKey, Bucket: s3c.Bucket}, storage.Limits{})
	if err != nil {
		t.Fatal(err)
	}
	d := httpapi.Deps{
		DB: pool, JWTs: jwts, Tokens: tokens, Delivery: shaderpkg.LocalDevKeyring(), Presigner: presigner,
		Limiter: ratelimit.Limiter{Store: ratelimit.Postgres{DB: pool}}, Pepper: []byte("test-pepper-test-pepper-test-pepper!"),
		SiteURL: siteURL, QueueWindow: 15 * time.Minute,
	}
	if with != nil {
		with(&d)
	}
	h := httpapi.New(d)
	return &stack{t: t, h: h, db: pool, s3: s3c, bucket: s3c.Bucket}
}

func userJWT(t *testing.T, user string) string { t.Helper(); return httpapi.SessionJWT(t, user) }

type resp struct {
	code   int
	header http.Header
	body   []byte
}

func (r resp) json(t *testing.T) map[string]any {
	t.Helper()
	return httpapi.DecodeJSON[map[string]any](t, r.code, r.body)
}

// errCode checks the common error body and returns its code.
func (r resp) errCode(t *testing.T) apierror.Code {
	t.Helper()
	return httpapi.ErrorCode(t, r.code, r.body)
}

// apiRequest is a client's request from 192.0.2.10: cred is a JWT, or an API key (sent as X-Api-Key
// when it looks like one); a non-nil body is sent as JSON.
func apiRequest(method, target, cred string, body []byte) *http.Request {
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req := httptest.NewRequest(method, target, rd)
	req.RemoteAddr = "192.0.2.10:5555"
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if strings.HasPrefix(cred, "oct_live_") {
		req.Header.Set("X-Api-Key", cred)
	} else if cred != "" {
		req.Header.Set("Authorization", "Bearer "+cred)
	}
	return req
}

// do sends a request; cred is a JWT or an API key (as X-Api-Key when it looks like one).
func (s *stack) do(method, path, cred string, body any) resp {
	s.t.Helper()
	var raw []byte
	if body != nil {
		raw, _ = json.Marshal(body)
	}
	rec := httptest.NewRecorder()
	s.h.ServeHTTP(rec, apiRequest(method, path, cred, raw))
	s.mu.Lock()
	s.bodies = append(s.bodies, rec.Body.String())
	s.mu.Unlock()
	return resp{rec.Code, rec.Header(), rec.Body.Bytes()}
}

// pair runs the whole RFC 8628 grant for user and returns the device id and its API key.
func (s *stack) pair(user string) (string, string) {
	t := s.t
	t.Helper()
	r := s.do("POST", "/v1/devices/authorize", "", map[string]string{"platform": "blender", "platform_version": "4.2.0",
		"addon_version": "0.1.0", "bridge_version": "0.1.0", "os": "linux", "name": "Test Blender"})
	if r.code != 200 {
		t.Fatalf("authorize: %d %s", r.code, r.body)
	}
	grant := r.json(t)
	code, _ := grant["device_code"].(string)
	userCode, _ := grant["user_code"].(string)
	if code == "" || userCode == "" || !strings.HasPrefix(grant["verification_uri_complete"].(string), siteURL+"/connect") {
		t.Fatalf("grant %v", grant)
	}
	poll := map[string]string{"device_code": code, "grant_type": "urn:ietf:params:oauth:grant-type:device_code"}
	if r := s.do("POST", "/v1/devices/token", "", poll); r.code != 400 || r.json(t)["error"] != "authorization_pending" {
		t.Fatalf("first poll: %d %s", r.code, r.body)
	}
	if r := s.do("POST", "/v1/devices/token", "", poll); r.code != 400 || r.json(t)["error"] != "slow_down" {
		t.Fatalf("fast poll: %d %s", r.code, r.body)
	}
	if r := s.do("POST", "/v1/devices/approve", userJWT(t, user), map[string]string{"user_code": strings.ToLower(userCode)}); r.code != 200 {
		t.Fatalf("approve: %d %s", r.code, r.body)
	}
	r = s.do("POST", "/v1/devices/token", "", poll)
	if r.code != 200 {
		t.Fatalf("poll after approval: %d %s", r.code, r.body)
	}
	out := r.json(t)
	if out["user_id"] != user {
		t.Fatalf("paired to %v", out["user_id"])
	}
	if r := s.do("POST", "/v1/devices/token", "", poll); r.code != 400 || r.json(t)["error"] != "invalid_grant" {
		t.Fatalf("the key must be handed out once: %d %s", r.code, r.body)
	}
	return out["device_id"].(string), out["api_key"].(string)
}

func (s *stack) deviceJWT(key string) string {
	s.t.Helper()
	r := s.do("POST", "/v1/auth/token", key, nil)
	if r.code != 200 {
		s.t.Fatalf("auth/token: %d %s", r.code, r.body)
	}
	m := r.json(s.t)
	if m["token_type"] != "bearer" || m["access_token"] == "" {
		s.t.Fatalf("auth/token %v", m)
	}
	return m["access_token"].(string)
}

// pairSignedIn pairs a Blender to user and signs it in: its device id, API key and device JWT.
func (s *stack) pairSignedIn(user string) (device, key, devJWT string) {
	s.t.Helper()
	device, key = s.pair(user)
	return device, key, s.deviceJWT(key)
}

// publish stores a real package in S3 and a published shader with its version in the catalog.
func (s *stack) publish(slug string, free bool) (shaderID string, zip []byte) {
	t := s.t
	t.Helper()
	var buf bytes.Buffer
	m, err := shaderpkg.WritePackage(&buf, shaderpkg.Manifest{SchemaVersion: 1, ShaderID: slug, Version: "1.0.0",
		Name: "Test " + slug, MaterialName: "OB_Test", Category: "metal", Tags: []string{"metal"}, MinBlender: "3.4",
		MinOctane: "2024.1"}, fstest.MapFS{
		"material.blend":       {Data: []byte("BLENDER-v304" + strings.Repeat("x", 300))},
		"preview.webp":         {Data: []byte("RIFF....WEBPVP8 ")},
		"textures/1k/base.png": {Data: []byte("\x89PNG base")},
	})
	if err != nil {
		t.Fatal(err)
	}
	zip = buf.Bytes()
	sum := sha256.Sum256(zip)
	mj, err := m.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	sig, err := shaderpkg.SignManifest(shaderpkg.LocalDevKeyring(), mj)
	if err != nil {
		t.Fatal(err)
	}
	key := "packages/test-" + uuid.NewString() + "/1.0.0.zip"
	ctx := context.Background()
	s.s3.PutObject(t, key, zip, "application/zip")
	id := uuid.NewString()
	if _, err := s.db.Exec(ctx, `insert into public.shaders (id, slug, name, description, category_id, tags, is_free, published, latest_version)
		values ($1, $2, $3, 'test', 'metal', '{metal}', $4, true, '1.0.0')`, id, slug, m.Name, free); err != nil {
		t.Fatal(err)
	}
	if _, err := s.db.Exec(ctx, `insert into public.shader_versions (shader_id, version, package_key, sha256, size, manifest, manifest_sig,
		min_blender, min_octane, texture_resolutions) values ($1, '1.0.0', $2, $3, $4, $5::jsonb, $6, '3.4', '2024.1', '{1k}')`,
		id, key, hex.EncodeToString(sum[:]), len(zip), string(mj), sig); err != nil {
		t.Fatal(err)
	}
	return id, zip
}

// deviceMessage is what the bridge would receive on device:<id> for the import.
func (s *stack) deviceMessage(device, importID string) map[string]any {
	s.t.Helper()
	var payload []byte
	err := s.db.QueryRow(context.Background(), `select payload::text from realtime.messages
		where topic = 'device:' || $1 and event = 'import_request' and payload->>'import_id' = $2`, device, importID).Scan(&payload)
	if err != nil {
		s.t.Fatalf("no import_request on device:%s for %s: %v", device, importID, err)
	}
	var m map[string]any
	_ = json.Unmarshal(payload, &m)
	return m
}

// queueImport queues an import of shaderID for device with the user's session and returns its id
// and the token its device message carries.
func (s *stack) queueImport(userJWT, shaderID, device string) (id, tok string) {
	s.t.Helper()
	r := s.do("POST", "/v1/imports", userJWT, map[string]string{"shader_id": shaderID, "device_id": device})
	if r.code != 201 {
		s.t.Fatalf("create import: %d %s", r.code, r.body)
	}
	id = r.json(s.t)["import_id"].(string)
	return id, s.deviceMessage(device, id)["token"].(string)
}

var opaqueRun = regexp.MustCompile(`[A-Za-z0-9_.-]{40,}`)

func (s *stack) noInternals() {
	s.t.Helper()
	for _, b := range s.bodies {
		// Tokens, keys and signatures are opaque base64url runs that may spell "pgx" by chance.
		low := strings.ToLower(opaqueRun.ReplaceAllString(b, "<opaque>"))
		for _, bad := range []string{"select ", "insert ", "update public", "sqlstate", "pgx", "pq:", "goroutine", ".go:", "panic", "runtime."} {
			if strings.Contains(low, bad) {
				s.t.Errorf("a response body reveals internals (%q): %s", bad, b)
			}
		}
	}
}

func TestImportFlow(t *testing.T) {
	s := newStack(t)
	defer s.noInternals()
	device, _, devJWT := s.pairSignedIn(proUser)
	shaderID, zip := s.publish("flow-steel", false)
	pro := userJWT(t, proUser)

	r := s.do("POST", "/v1/imports", pro, map[string]string{"shader_id": shaderID, "device_id": device})
	if r.code != 201 {
		t.Fatalf("create import: %d %s", r.code, r.body)
	}
	created := r.json(t)
	importID := created["import_id"].(string)
	if created["status"] != "queued" || created["device_id"] != device || created["expires_at"] == nil {
		t.Fatalf("created %v", created)
	}
	msg := s.deviceMessage(device, importID)
	tok, _ := msg["token"].(string)
	if !strings.HasPrefix(tok, "oit1.") || msg["version"] != "1.0.0" || msg["shader_name"] == nil || msg["shader_id"] == nil {
		t.Fatalf("device message %v", msg)
	}
	var stored int
	_ = s.db.QueryRow(context.Background(), `select count(*) from public.import_tokens where import_id = $1 and token_hash = $2`,
		importID, token.Hash(tok)).Scan(&stored)
	if stored != 1 {
		t.Fatal("the token's hash must be stored with the import")
	}

	// The owner sees it; anyone else gets NOT_FOUND, not FORBIDDEN.
	if r := s.do("GET", "/v1/imports/"+importID, pro, nil); r.code != 200 || r.json(t)["status"] != "queued" {
		t.Fatalf("owner get: %d %s", r.code, r.body)
	}
	if r := s.do("GET", "/v1/imports/"+importID, userJWT(t, freeUser), nil); r.errCode(t) != apierror.NotFound {
		t.Fatal("other user's import must be NOT_FOUND")
	}

	// A user session cannot redeem; the device JWT can, exactly once among 64 racing callers.
	if r := s.do("POST", "/v1/imports/"+importID+"/redeem", pro, map[string]string{"token": tok}); r.code < 400 {
		t.Fatalf("user session redeemed: %d", r.code)
	}
	var (
		wg      sync.WaitGroup
		mu      sync.Mutex
		winners []resp
		codes   = map[apierror.Code]int{}
	)
	for range 64 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r := s.do("POST", "/v1/imports/"+importID+"/redeem", devJWT, map[string]string{"token": tok})
			mu.Lock()
			defer mu.Unlock()
			if r.code == 200 {
				winners = append(winners, r)
				return
			}
			var b apierror.Body
			_ = json.Unmarshal(r.body, &b)
			codes[b.Error.Code]++
		}()
	}
	wg.Wait()
	if len(winners) != 1 {
		t.Fatalf("%d redemptions succeeded, want exactly 1 (others: %v)", len(winners), codes)
	}
	if codes[apierror.InvalidToken] != 63 {
		t.Fatalf("losers answered %v, want 63 INVALID_TOKEN", codes)
	}
	var red struct {
		ImportID    string           `json:"import_id"`
		DownloadURL string           `json:"download_url"`
		ExpiresAt   time.Time        `json:"expires_at"`
		Delivery    shaderpkg.Signed `json:"delivery"`
	}
	if err := json.Unmarshal(winners[0].body, &red); err != nil {
		t.Fatal(err)
	}
	if red.ImportID != importID || time.Until(red.ExpiresAt) > 300*time.Second || time.Until(red.ExpiresAt) < 200*time.Second {
		t.Fatalf("redeemed %+v", red)
	}
	d, err := shaderpkg.VerifyDelivery(shaderpkg.LocalDevKeyring().PublicKeys(), red.Delivery, time.Now())
	if err != nil {
		t.Fatalf("delivery does not verify with the local public key: %v", err)
	}
	sum := sha256.Sum256(zip)
	if d.ImportID != importID || d.ShaderID != "flow-steel" || d.SHA256 != hex.EncodeToString(sum[:]) || d.Size != int64(len(zip)) ||
		d.MaterialName != "OB_Test" || len(d.Files) != 3 {
		t.Fatalf("delivery %+v", d)
	}
	// The presigned URL downloads exactly the package.
	if got := fetch(t, red.DownloadURL); !bytes.Equal(got, zip) {
		t.Fatalf("download: %d bytes, want the %d of the package", len(got), len(zip))
	}
	if r := s.do("GET", "/v1/imports/"+importID, pro, nil); r.json(t)["status"] != "redeemed" {
		t.Fatalf("after redemption: %s", r.body)
	}
	// A redeemed import gets no new token.
	if r := s.do("POST", "/v1/imports/"+importID+"/token", devJWT, nil); r.errCode(t) != apierror.Conflict {
		t.Fatal("reissue after redemption must be CONFLICT")
	}
}

func TestReissueAndBinding(t *testing.T) {
	s := newStack(t)
	defer s.noInternals()
	device, key, devJWT := s.pairSignedIn(proUser)
	shaderID, _ := s.publish("bind-steel", false)
	pro := userJWT(t, proUser)
	r := s.do("POST", "/v1/imports", pro, map[string]string{"shader_id": shaderID})
	if r.code != 201 || r.json(t)["device_id"] != device {
		t.Fatalf("default device: %d %s", r.code, r.body)
	}
	importID := r.json(t)["import_id"].(string)
	old := s.deviceMessage(device, importID)["token"].(string)

	// Another of the user's devices cannot redeem it.
	_, key2 := s.pair(proUser)
	if r := s.do("POST", "/v1/imports/"+importID+"/redeem", s.deviceJWT(key2), map[string]string{"token": old}); r.errCode(t) != apierror.InvalidToken {
		t.Fatal("another device redeemed the token")
	}
	// A token for one import does not redeem another.
	other, _ := s.queueImport(pro, shaderID, device)
	if r := s.do("POST", "/v1/imports/"+other+"/redeem", devJWT, map[string]string{"token": old}); r.errCode(t) != apierror.InvalidToken {
		t.Fatal("token redeemed another import")
	}
	// Reissue voids the old token; the new one works.
	r = s.do("POST", "/v1/imports/"+importID+"/token", devJWT, nil)
	if r.code != 200 {
		t.Fatalf("reissue: %d %s", r.code, r.body)
	}
	fresh := r.json(t)["token"].(string)
	if r := s.do("POST", "/v1/imports/"+importID+"/redeem", devJWT, map[string]string{"token": old}); r.errCode(t) != apierror.InvalidToken {
		t.Fatal("voided token redeemed")
	}
	if r := s.do("POST", "/v1/imports/"+importID+"/redeem", devJWT, map[string]string{"token": fresh}); r.code != 200 {
		t.Fatalf("fresh token: %d %s", r.code, r.body)
	}
	// Revoking the device refuses its key at /v1/auth/token.
	if r := s.do("DELETE", "/v1/devices/"+device, pro, nil); r.code != 204 {
		t.Fatalf("revoke: %d %s", r.code, r.body)
	}
	if r := s.do("POST", "/v1/auth/token", key, nil); r.errCode(t) != apierror.AuthFailed {
		t.Fatal("revoked device's key still works")
	}
}

func TestCancellationBetweenMintAndRedeem(t *testing.T) {
	s := newStack(t)
	defer s.noInternals()
	device, _, devJWT := s.pairSignedIn(proUser)
	importID, tok := s.queueImport(userJWT(t, proUser), paidShader, device)
	if _, err := s.db.Exec(context.Background(), `update public.subscriptions set status = 'canceled', ended_at = now() where user_id = $1`, proUser); err != nil {
		// ended_at may not exist in every schema version; the status alone ends the entitlement.
		if _, err := s.db.Exec(context.Background(), `update public.subscriptions set status = 'canceled' where user_id = $1`, proUser); err != nil {
			t.Fatal(err)
		}
	}
	if r := s.do("POST", "/v1/imports/"+importID+"/redeem", devJWT, map[string]string{"token": tok}); r.errCode(t) != apierror.SubscriptionRequired {
		t.Fatalf("redeem after cancellation: %s", r.body)
	}
	if r := s.do("GET", "/v1/imports/"+importID, userJWT(t, proUser), nil); r.json(t)["status"] != "failed" {
		t.Fatalf("the import must fail: %s", r.body)
	}
	// The token was spent: trying again is INVALID_TOKEN, not a second chance.
	if r := s.do("POST", "/v1/imports/"+importID+"/redeem", devJWT, map[string]string{"token": tok}); r.errCode(t) != apierror.InvalidToken {
		t.Fatal("spent token accepted")
	}
}

func TestBlenderKeyRateLimit(t *testing.T) {
	s := newStack(t)
	_, key := s.pair(proUser)
	start := time.Now()
	var last resp
	ok := 0
	for i := 0; i < 120; i++ {
		last = s.do("POST", "/v1/auth/token", key, nil)
		if last.code != 200 {
			break
		}
		ok++
		if last.header.Get("RateLimit-Policy") == "" || last.header.Get("RateLimit") == "" {
			t.Fatalf("request %d without RateLimit headers", i+1)
		}
	}
	// GCRA refills one request every 0.6 s at 100/min, so a slow machine may earn a few more.
	extra := int(time.Since(start) / (600 * time.Millisecond))
	if ok < 100 || ok > 100+extra {
		t.Fatalf("%d requests allowed (elapsed %s), want 100", ok, time.Since(start))
	}
	if last.errCode(t) != apierror.RateLimitExceeded {
		t.Fatal("want RATE_LIMIT_EXCEEDED")
	}
	if last.header.Get("Retry-After") == "" || !strings.Contains(last.header.Get("RateLimit-Policy"), "q=100") {
		t.Fatalf("429 headers %v", last.header)
	}
	// A spoofed X-Forwarded-For does not open a new bucket: the key is the bucket.
	req := httptest.NewRequest("POST", "/v1/auth/token", nil)
	req.Header.Set("X-Api-Key", key)
	req.Header.Set("X-Forwarded-For", "203.0.113.99")
	rec := httptest.NewRecorder()
	s.h.ServeHTTP(rec, req)
	if rec.Code != http.StatusTooManyRequests {
		t.Fatalf("X-Forwarded-For changed the bucket: %d", rec.Code)
	}
}

func TestErrorCodes(t *testing.T) {
	s := newStack(t)
	defer s.noInternals()
	device, key, devJWT := s.pairSignedIn(proUser)
	pro, free := userJWT(t, proUser), userJWT(t, freeUser)
	forged := "oit1.local-1.eyJ0eXAiOiJpbXBvcnQifQ.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
	// Free user with no device but a paid shader: entitlement is checked before devices.
	cases := []struct {
		name string
		r    func() resp
		want apierror.Code
	}{
		{"no credential", func() resp { return s.do("GET", "/v1/devices", "", nil) }, apierror.AuthRequired},
		{"bad JWT", func() resp { return s.do("GET", "/v1/devices", pro+"x", nil) }, apierror.AuthFailed},
		{"bad API key", func() resp { return s.do("POST", "/v1/auth/token", otherLastChar(key), nil) }, apierror.AuthFailed},
		{"forged import token", func() resp {
			return s.do("POST", "/v1/imports/"+uuid.NewString()+"/redeem", devJWT, map[string]string{"token": forged})
		}, apierror.InvalidToken},
		{"malformed JSON", func() resp { return s.do("POST", "/v1/imports", pro, "not an object") }, apierror.InvalidInput},
		{"missing shader_id", func() resp { return s.do("POST", "/v1/imports", pro, map[string]string{}) }, apierror.MissingRequiredField},
		{"unknown shader", func() resp {
			return s.do("POST", "/v1/imports", pro, map[string]string{"shader_id": uuid.NewString()})
		}, apierror.NotFound},
		{"device key creates imports", func() resp {
			return s.do("POST", "/v1/imports", devJWT, map[string]string{"shader_id": paidShader})
		}, apierror.InsufficientPermissions},
		{"free user, paid shader", func() resp {
			return s.do("POST", "/v1/imports", free, map[string]string{"shader_id": paidShader})
		}, apierror.SubscriptionRequired},
		{"other user's device", func() resp {
			return s.do("PATCH", "/v1/devices/"+device, free, map[string]string{"name": "mine now"})
		}, apierror.NotFound},
		{"unknown route", func() resp { return s.do("GET", "/v1/nope", pro, nil) }, apierror.NotFound},
	}
	// Every code of the closed set must be shown here with its body (errCode checks the shape
	// and the code's status).
	var seenMu sync.Mutex
	seen := map[apierror.Code]bool{}
	saw := func(c apierror.Code) apierror.Code { seenMu.Lock(); seen[c] = true; seenMu.Unlock(); return c }
	defer func() {
		for _, c := range apierror.Codes() {
			if !seen[c] {
				t.Errorf("no case shows the body of %s", c)
			}
		}
	}()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := saw(tc.r().errCode(t)); got != tc.want {
				t.Fatalf("got %s, want %s", got, tc.want)
			}
		})
	}
	t.Run("rate limit exceeded", func(t *testing.T) {
		jwts, _ := auth.NewJWTs([]byte(testenv.JWTSecret()), edgeIss, nil, time.Minute)
		full := &stack{t: t, db: s.db, h: httpapi.New(httpapi.Deps{DB: s.db, JWTs: jwts, SiteURL: siteURL,
			Limiter: ratelimit.Limiter{Store: refuseAll{}}})}
		r := full.do("GET", "/v1/devices", pro, nil)
		if got := saw(r.errCode(t)); got != apierror.RateLimitExceeded || r.header.Get("Retry-After") != "3" {
			t.Fatalf("got %s, Retry-After %q", got, r.header.Get("Retry-After"))
		}
	})
	t.Run("conflict", func(t *testing.T) {
		shaderID, _ := s.publish("conflict-steel", true)
		r := s.do("POST", "/v1/imports", pro, map[string]string{"shader_id": shaderID, "device_id": device})
		id := r.json(t)["import_id"].(string)
		if _, err := s.db.Exec(context.Background(), `update public.imports set status = 'cancelled' where id = $1`, id); err != nil {
			t.Fatal(err)
		}
		if got := saw(s.do("POST", "/v1/imports/"+id+"/token", devJWT, nil).errCode(t)); got != apierror.Conflict {
			t.Fatalf("got %s", got)
		}
	})
	t.Run("service unavailable and internal error", func(t *testing.T) {
		// A closed pool: readiness reports SERVICE_UNAVAILABLE; token minting fails closed.
		pool, err := pgxpool.New(context.Background(), "postgres://postgres:postgres@127.0.0.1:1/none?sslmode=disable&connect_timeout=1")
		if err != nil {
			t.Fatal(err)
		}
		pool.Close()
		jwts, _ := auth.NewJWTs([]byte(testenv.JWTSecret()), edgeIss, nil, time.Minute)
		tokens, _ := token.ParseKeyring(localHMAC)
		down := &stack{t: t, db: pool, h: httpapi.New(httpapi.Deps{DB: pool, JWTs: jwts, Tokens: tokens, SiteURL: siteURL,
			Limiter: ratelimit.Limiter{Store: ratelimit.Postgres{DB: pool}}})}
		if got := saw(down.do("GET", "/readyz", "", nil).errCode(t)); got != apierror.ServiceUnavailable {
			t.Fatalf("readyz: %s", got)
		}
		if got := down.do("POST", "/v1/imports", pro, map[string]string{"shader_id": paidShader}).errCode(t); got != apierror.ServiceUnavailable {
			t.Fatalf("mint with the limiter down: %s", got)
		}
		// A panicking dependency answers INTERNAL_ERROR without a trace.
		boom := &stack{t: t, h: httpapi.New(httpapi.Deps{DB: s.db, JWTs: jwts, Tokens: tokens, SiteURL: siteURL,
			Delivery: shaderpkg.LocalDevKeyring(), Presigner: panicky{}})}
		shaderID, _ := s.publish("panic-steel", true)
		id, tok := s.queueImport(pro, shaderID, device)
		if got := saw(boom.do("POST", "/v1/imports/"+id+"/redeem", devJWT, map[string]string{"token": tok}).errCode(t)); got != apierror.Internal {
			t.Fatalf("panic: %s", got)
		}
		down.noInternals()
		boom.noInternals()
	})
}

// refuseAll is a limiter store whose buckets are always empty.
type refuseAll struct{}

func (refuseAll) Step(context.Context, string, int, int) (ratelimit.Decision, error) {
	return ratelimit.Decision{Allowed: false, Limit: 1, RetryAfter: 2500 * time.Millisecond, Reset: time.Minute}, nil
}

type panicky struct{}

func (panicky) PresignGet(context.Context, string, time.Duration) (string, time.Time, error) {
	panic("presigner exploded at storage.go:42")
}

// Anonymous callers are bucketed by the socket address: a client-chosen X-Forwarded-For does not
// give it a fresh bucket.
func TestAnonymousRateLimitIgnoresForwardedFor(t *testing.T) {
	s := newStack(t)
	start := time.Now()
	ok := 0
	var last *httptest.ResponseRecorder
	for i := 0; i < 80; i++ {
		req := httptest.NewRequest("POST", "/v1/devices/token", strings.NewReader(`{"device_code":"nope","grant_type":"urn:ietf:params:oauth:grant-type:device_code"}`))
		req.Header.Set("Content-Type", "application/json")
		req.RemoteAddr = "198.51.100.7:4000"
		req.Header.Set("X-Forwarded-For", "203.0.113."+strconv.Itoa(i))
		last = httptest.NewRecorder()
		s.h.ServeHTTP(last, req)
		if last.Code == http.StatusTooManyRequests {
			break
		}
		ok++
	}
	extra := int(time.Since(start) / time.Second) // 60/min refills one a second
	if ok < 60 || ok > 60+extra {
		t.Fatalf("%d anonymous requests allowed from one address, want 60", ok)
	}
	if last.Code != http.StatusTooManyRequests || last.Header().Get("Retry-After") == "" {
		t.Fatalf("want 429 with Retry-After, got %d", last.Code)
	}
	// Another socket address has its own bucket.
	req := httptest.NewRequest("POST", "/v1/devices/token", strings.NewReader(`{}`))
	req.Header.Set("Content-Type", "application/json")
	req.RemoteAddr = "198.51.100.8:4000"
	rec := httptest.NewRecorder()
	s.h.ServeHTTP(rec, req)
	if rec.Code == http.StatusTooManyRequests {
		t.Fatal("a different address shares the bucket")
	}
}

// Token lifetimes are judged by the edge's clock alone: 121 s after minting the token is refused
// and stays unspent in the database.
func TestExpiredTokenAtRedeem(t *testing.T) {
	s := newStack(t)
	device, _, devJWT := s.pairSignedIn(proUser)
	shaderID, _ := s.publish("late-steel", true)
	id, tok := s.queueImport(userJWT(t, proUser), shaderID, device)

	jwts, _ := auth.NewJWTs([]byte(testenv.JWTSecret()), edgeIss, nil, time.Hour)
	tokens, _ := token.ParseKeyring(localHMAC)
	later := &stack{t: t, db: s.db, h: httpapi.New(httpapi.Deps{DB: s.db, JWTs: jwts, Tokens: tokens, SiteURL: siteURL,
		Delivery: shaderpkg.LocalDevKeyring(), Presigner: panicky{},
		Now: func() time.Time { return time.Now().Add(token.TTL + time.Second) }})}
	if got := later.do("POST", "/v1/imports/"+id+"/redeem", devJWT, map[string]string{"token": tok}).errCode(t); got != apierror.InvalidToken {
		t.Fatalf("expired token: %s", got)
	}
	var redeemed bool
	_ = s.db.QueryRow(context.Background(), `select redeemed_at is not null from public.import_tokens where token_hash = $1`, token.Hash(tok)).Scan(&redeemed)
	if redeemed {
		t.Fatal("an expired token was spent")
	}
	// Bit-flipped tokens are refused too.
	flipped := []byte(tok)
	flipped[len(flipped)/2] ^= 1
	if got := s.do("POST", "/v1/imports/"+id+"/redeem", devJWT, map[string]string{"token": string(flipped)}).errCode(t); got != apierror.InvalidToken {
		t.Fatalf("bit-flipped token: %s", got)
	}
}

// otherLastChar changes a key's last character to a different one (replacing it with a fixed
// character left the key valid whenever it already ended in that character).
func otherLastChar(key string) string {
	last := "0"
	if strings.HasSuffix(key, last) {
		last = "1"
	}
	return key[:len(key)-1] + last
}
