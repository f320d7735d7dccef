package auth

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"errors"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// Verify remembers an HS256 token that verified, and answers it from memory only while Verify
// itself would accept it: not before nbf, not after exp (each with the leeway). Forged tokens and
// tokens signed with a JWKS key (which can be withdrawn) are never remembered.
func TestVerifiedTokensAreRememberedOnlyWhileValid(t *testing.T) {
	j, err := NewJWTs(secret, "http://edge", nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	tok := sessionJWT(t, jwt.SigningMethodHS256, secret, "", func(c jwt.MapClaims) {
		c["exp"] = now.Add(10 * time.Second).Unix()
		c["nbf"] = now.Add(-time.Second).Unix()
	})
	p, err := j.Verify(tok, now)
	if err != nil || p.Kind != User {
		t.Fatalf("%+v %v", p, err)
	}
	if _, ok := j.verified.get(tok, now); !ok {
		t.Fatal("a verified HS256 token is not remembered")
	}
	p.Scopes[0] = "changed by a caller"
	again, err := j.Verify(tok, now.Add(time.Second))
	if err != nil || again.Scopes[0] == "changed by a caller" || again.UserID != p.UserID {
		t.Fatalf("from memory: %+v %v", again, err)
	}
	if _, err := j.Verify(tok, now.Add(16*time.Second)); !errors.Is(err, ErrInvalid) {
		t.Fatalf("past exp and the leeway: %v", err)
	}
	if _, err := j.Verify(tok, now.Add(-time.Minute)); !errors.Is(err, ErrInvalid) {
		t.Fatalf("before nbf and the leeway: %v", err)
	}

	forged := sessionJWT(t, jwt.SigningMethodHS256, []byte("another-secret-another-secret-another-secret"), "", nil)
	if _, err := j.Verify(forged, now); !errors.Is(err, ErrInvalid) {
		t.Fatalf("forged: %v", err)
	}
	if _, ok := j.verified.get(forged, now); ok {
		t.Fatal("a forged token was remembered")
	}

	k, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	jwks := NewJWKS("http://127.0.0.1:1/jwks", nil)
	jwks.keys = map[string]any{"k1": &k.PublicKey}
	jwks.fetched = time.Now()
	withJWKS, _ := NewJWTs(secret, "http://edge", jwks, 0)
	es := sessionJWT(t, jwt.SigningMethodES256, k, "k1", nil)
	if _, err := withJWKS.Verify(es, now); err != nil {
		t.Fatal(err)
	}
	if _, ok := withJWKS.verified.get(es, now); ok {
		t.Fatal("a token signed with a JWKS key was remembered")
	}
}
