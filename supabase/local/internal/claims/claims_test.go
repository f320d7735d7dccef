package claims

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"testing"
	"time"
)

const secret = "super-secret-jwt-token-with-at-least-32-characters-long"

func TestVerify(t *testing.T) {
	now := time.Unix(1_800_000_000, 0)
	k := New(secret, func() time.Time { return now })
	good, _ := k.Sign(map[string]any{"sub": "u", "role": "authenticated", "exp": now.Add(time.Minute).Unix()})
	c, err := k.Verify(good, true)
	if err != nil || c.Role() != "authenticated" || c.Sub() != "u" {
		t.Fatalf("good token: %v %v", c, err)
	}
	expired, _ := k.Sign(map[string]any{"role": "anon", "exp": now.Add(-30 * time.Second).Unix()})
	if _, err := k.Verify(expired, false); AsError(err).Kind != Expired || AsError(err).ExpiredFor != 30*time.Second {
		t.Fatalf("expired: %v", err)
	}
	other, _ := New("another-secret-of-at-least-32-characters!!", nil).Sign(map[string]any{"role": "anon", "exp": now.Add(time.Minute).Unix()})
	if _, err := k.Verify(other, false); AsError(err).Kind != BadSignature {
		t.Fatalf("foreign secret: %v", err)
	}
	noExp, _ := k.Sign(map[string]any{"role": "anon"})
	if _, err := k.Verify(noExp, true); AsError(err).Kind != MissingClaim {
		t.Fatalf("missing exp with requireRoleExp: %v", err)
	}
	if _, err := k.Verify(noExp, false); err != nil {
		t.Fatalf("missing exp allowed for REST: %v", err)
	}
	for _, bad := range []string{"", "a.b", "a.b.c", "eyJhbGciOiJub25lIn0.eyJyb2xlIjoic2VydmljZV9yb2xlIn0."} {
		if _, err := k.Verify(bad, false); err == nil {
			t.Errorf("Verify(%q) accepted", bad)
		}
	}
}

func TestES256(t *testing.T) {
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	k := New(secret, nil).WithES256(key, "kid-1")
	tok, err := k.Sign(map[string]any{"role": "authenticated", "exp": time.Now().Add(time.Minute).Unix()})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := k.Verify(tok, true); err != nil {
		t.Fatalf("ES256 round trip: %v", err)
	}
	other, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	forged, _ := New(secret, nil).WithES256(other, "kid-1").Sign(map[string]any{"role": "service_role", "exp": time.Now().Add(time.Minute).Unix()})
	if _, err := k.Verify(forged, true); err == nil {
		t.Fatal("token of another EC key accepted")
	}
	hs, _ := New(secret, nil).Sign(map[string]any{"role": "anon", "exp": time.Now().Add(time.Minute).Unix()})
	if _, err := k.Verify(hs, true); err != nil {
		t.Fatalf("HS256 keys still verify in ES256 mode: %v", err)
	}
	if HS := New(secret, nil); len(HS.JWKS()["keys"].([]any)) != 0 {
		t.Fatal("HS256-only JWKS not empty")
	}
	if len(k.JWKS()["keys"].([]any)) != 1 {
		t.Fatal("ES256 JWKS missing the key")
	}
}
