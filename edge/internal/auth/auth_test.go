package auth

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/google/uuid"
)

var secret = []byte("super-secret-jwt-token-with-at-least-32-characters-long")

const userID = "11111111-1111-4111-8111-111111111111"

func sessionJWT(t *testing.T, method jwt.SigningMethod, key any, kid string, mut func(jwt.MapClaims)) string {
	t.Helper()
	now := time.Now()
	c := jwt.MapClaims{"sub": userID, "aud": "authenticated", "role": "authenticated", "iss": "http://127.0.0.1:54321/auth/v1",
		"exp": now.Add(time.Hour).Unix(), "iat": now.Unix(), "email": "pro@octane.local", "session_id": uuid.NewString()}
	if mut != nil {
		mut(c)
	}
	tok := jwt.NewWithClaims(method, c)
	if kid != "" {
		tok.Header["kid"] = kid
	}
	s, err := tok.SignedString(key)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestVerifySessionAndDevice(t *testing.T) {
	j, err := NewJWTs(secret, "http://edge", nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	p, err := j.Verify(sessionJWT(t, jwt.SigningMethodHS256, secret, "", nil), time.Now())
	if err != nil || p.Kind != User || p.UserID.String() != userID || !p.Has(ScopeImportsCreate) || p.Has(ScopeImportsReceive) {
		t.Fatalf("session: %+v %v", p, err)
	}
	dev := uuid.New()
	tok, exp, err := j.MintDevice(uuid.MustParse(userID), dev, "blender", time.Now())
	if err != nil || time.Until(exp) > 10*time.Minute {
		t.Fatal(err, exp)
	}
	p, err = j.Verify(tok, time.Now())
	if err != nil || p.Kind != Device || p.DeviceID != dev || p.Platform != "blender" || !p.Has(ScopeImportsReceive) || p.Has(ScopeImportsCreate) {
		t.Fatalf("device: %+v %v", p, err)
	}
	if _, err := j.Verify(tok, time.Now().Add(11*time.Minute)); !errors.Is(err, ErrInvalid) {
		t.Fatalf("expired device JWT: %v", err)
	}
}

func TestVerifyRejects(t *testing.T) {
	j, _ := NewJWTs(secret, "http://edge", nil, 0)
	other := []byte("another-secret-that-is-at-least-32-bytes-long!!")
	cases := map[string]string{
		"other secret":                sessionJWT(t, jwt.SigningMethodHS256, other, "", nil),
		"anon role":                   sessionJWT(t, jwt.SigningMethodHS256, secret, "", func(c jwt.MapClaims) { c["role"] = "anon" }),
		"service role":                sessionJWT(t, jwt.SigningMethodHS256, secret, "", func(c jwt.MapClaims) { c["role"] = "service_role" }),
		"wrong aud":                   sessionJWT(t, jwt.SigningMethodHS256, secret, "", func(c jwt.MapClaims) { c["aud"] = "other" }),
		"expired":                     sessionJWT(t, jwt.SigningMethodHS256, secret, "", func(c jwt.MapClaims) { c["exp"] = time.Now().Add(-time.Minute).Unix() }),
		"no exp":                      sessionJWT(t, jwt.SigningMethodHS256, secret, "", func(c jwt.MapClaims) { delete(c, "exp") }),
		"sub not uuid":                sessionJWT(t, jwt.SigningMethodHS256, secret, "", func(c jwt.MapClaims) { c["sub"] = "x" }),
		"device claim from elsewhere": sessionJWT(t, jwt.SigningMethodHS256, secret, "", func(c jwt.MapClaims) { c["device_id"] = uuid.NewString() }),
		"alg none":                    "eyJhbGciOiJub25lIiwidHlwIjoiSldUIn0.eyJzdWIiOiIxMTExMTExMS0xMTExLTQxMTEtODExMS0xMTExMTExMTExMTEiLCJhdWQiOiJhdXRoZW50aWNhdGVkIiwicm9sZSI6ImF1dGhlbnRpY2F0ZWQiLCJleHAiOjQxMDI0NDQ4MDB9.",
		"garbage":                     "not.a.jwt",
	}
	for name, tok := range cases {
		if _, err := j.Verify(tok, time.Now()); !errors.Is(err, ErrInvalid) {
			t.Errorf("%s: accepted (%v)", name, err)
		}
	}
}

func TestJWKSRotationAndCaching(t *testing.T) {
	k1, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	k2, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	var current atomic.Pointer[ecdsa.PrivateKey]
	current.Store(k1)
	var hits atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		k := current.Load()
		kid := "k1"
		if k == k2 {
			kid = "k2"
		}
		enc := func(b []byte) string { return base64.RawURLEncoding.EncodeToString(b) }
		_ = json.NewEncoder(w).Encode(map[string]any{"keys": []map[string]string{{
			"kty": "EC", "crv": "P-256", "kid": kid, "use": "sig", "alg": "ES256",
			"x": enc(k.X.FillBytes(make([]byte, 32))), "y": enc(k.Y.FillBytes(make([]byte, 32)))}}})
	}))
	defer srv.Close()
	clock := time.Now()
	jwks := NewJWKS(srv.URL, srv.Client())
	jwks.now = func() time.Time { return clock }
	j, _ := NewJWTs(secret, "http://edge", jwks, 0)
	for range 3 {
		if _, err := j.Verify(sessionJWT(t, jwt.SigningMethodES256, k1, "k1", nil), time.Now()); err != nil {
			t.Fatal(err)
		}
	}
	if hits.Load() != 1 {
		t.Fatalf("JWKS fetched %d times, want 1 (cached)", hits.Load())
	}
	// Rotation: an unknown kid refetches, but not more than once per minRefresh.
	current.Store(k2)
	if _, err := j.Verify(sessionJWT(t, jwt.SigningMethodES256, k2, "k2", nil), time.Now()); !errors.Is(err, ErrInvalid) {
		t.Fatalf("k2 before the refresh window: %v", err)
	}
	clock = clock.Add(31 * time.Second)
	if _, err := j.Verify(sessionJWT(t, jwt.SigningMethodES256, k2, "k2", nil), time.Now()); err != nil {
		t.Fatalf("k2 after rotation: %v", err)
	}
	if _, err := j.Verify(sessionJWT(t, jwt.SigningMethodES256, k1, "k2", nil), time.Now()); !errors.Is(err, ErrInvalid) {
		t.Fatal("a token signed by another key under kid k2 verified")
	}
}

// A device JWT must be useless at GoTrue: its session_id is a valid UUID that GoTrue never
// creates (sessions are random version-4 UUIDs), so GoTrue answers 403 session_not_found. The
// edge accepts no device JWT without that marker.
func TestDeviceJWTCarriesASessionIDNoGoTrueSessionHas(t *testing.T) {
	j, _ := NewJWTs(secret, "http://edge", nil, 0)
	tok, _, err := j.MintDevice(uuid.MustParse(userID), uuid.New(), "blender", time.Now())
	if err != nil {
		t.Fatal(err)
	}
	var c jwt.MapClaims
	if _, _, err := jwt.NewParser().ParseUnverified(tok, &c); err != nil {
		t.Fatal(err)
	}
	sid, _ := c["session_id"].(string)
	u, err := uuid.Parse(sid)
	if err != nil || sid != DeviceSessionID || u.String() != sid {
		t.Fatalf("session_id %q (%v)", sid, err)
	}
	if u == uuid.Nil || u.Version() == 4 || u.Variant() != uuid.RFC4122 {
		t.Fatalf("session_id %s: version %d variant %v could name a session or mean none", u, u.Version(), u.Variant())
	}
	if want := uuid.NewSHA1(uuid.NameSpaceURL, []byte("urn:octane-bridge:device-jwt:no-session")); u != want {
		t.Fatalf("session_id %s is not the documented name-based UUID %s", u, want)
	}

	now := time.Now()
	device := func(mut func(jwt.MapClaims)) string {
		m := jwt.MapClaims{"sub": userID, "aud": "authenticated", "role": "authenticated", "iss": "http://edge",
			"iat": now.Unix(), "exp": now.Add(time.Minute).Unix(), "device_id": uuid.NewString(),
			"scopes": DeviceScopes(), "session_id": DeviceSessionID}
		mut(m)
		s, err := jwt.NewWithClaims(jwt.SigningMethodHS256, m).SignedString(secret)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	if p, err := j.Verify(device(func(jwt.MapClaims) {}), now); err != nil || p.Kind != Device {
		t.Fatalf("device JWT with the marker: %+v %v", p, err)
	}
	for name, mut := range map[string]func(jwt.MapClaims){
		"no session_id":       func(m jwt.MapClaims) { delete(m, "session_id") },
		"all-zero session_id": func(m jwt.MapClaims) { m["session_id"] = uuid.Nil.String() },
		"a real session's id": func(m jwt.MapClaims) { m["session_id"] = uuid.NewString() },
	} {
		if _, err := j.Verify(device(mut), now); !errors.Is(err, ErrInvalid) {
			t.Errorf("device JWT with %s accepted (%v)", name, err)
		}
	}
}
