package auth

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/big"
	"net/http"
	"sync"
	"time"
)

// JWKS caches the project's public signing keys (Supabase asymmetric JWT keys). Keys are
// refreshed after TTL, and at most once per MinRefresh when a token names an unknown kid, so a
// rotation is picked up quickly without letting forged kids hammer the auth server.
type JWKS struct {
	url        string
	client     *http.Client
	ttl        time.Duration
	minRefresh time.Duration
	now        func() time.Time

	mu      sync.Mutex
	keys    map[string]any
	fetched time.Time
	tried   time.Time
}

// NewJWKS builds a cache for url.
func NewJWKS(url string, client *http.Client) *JWKS {
	if client == nil {
		client = &http.Client{Timeout: 5 * time.Second}
	}
	return &JWKS{url: url, client: client, ttl: 10 * time.Minute, minRefresh: 30 * time.Second, now: time.Now}
}

// Key returns the public key for kid.
func (j *JWKS) Key(kid string) (any, error) {
	j.mu.Lock()
	defer j.mu.Unlock()
	now := j.now()
	k, ok := j.keys[kid]
	stale := now.Sub(j.fetched) > j.ttl
	if (!ok || stale) && now.Sub(j.tried) >= j.minRefresh {
		j.tried = now
		if keys, err := j.fetch(); err == nil {
			j.keys, j.fetched = keys, now
			k, ok = keys[kid]
		} else if !ok {
			return nil, err
		}
	}
	if !ok {
		return nil, fmt.Errorf("auth: unknown JWKS kid %q", kid)
	}
	return k, nil
}

type jwk struct {
	Kty, Kid, Crv, X, Y, N, E, Use string
}

func (j *JWKS) fetch() (map[string]any, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, j.url, nil)
	if err != nil {
		return nil, err
	}
	resp, err := j.client.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("auth: JWKS status %d", resp.StatusCode)
	}
	var doc struct{ Keys []jwk }
	if err := json.NewDecoder(io.LimitReader(resp.Body, 1<<20)).Decode(&doc); err != nil {
		return nil, err
	}
	keys := map[string]any{}
	for _, k := range doc.Keys {
		if k.Use != "" && k.Use != "sig" {
			continue
		}
		if pub, err := parseJWK(k); err == nil {
			keys[k.Kid] = pub
		}
	}
	return keys, nil
}

func b64int(s string) (*big.Int, error) {
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil || len(b) == 0 {
		return nil, errors.New("auth: bad JWK number")
	}
	return new(big.Int).SetBytes(b), nil
}

func parseJWK(k jwk) (any, error) {
	switch k.Kty {
	case "EC":
		if k.Crv != "P-256" {
			return nil, errors.New("auth: unsupported curve")
		}
		x, err := b64int(k.X)
		if err != nil {
			return nil, err
		}
		y, err := b64int(k.Y)
		if err != nil {
			return nil, err
		}
		pub := &ecdsa.PublicKey{Curve: elliptic.P256(), X: x, Y: y}
		if !pub.Curve.IsOnCurve(x, y) { //nolint:staticcheck // validating untrusted JWK coordinates
			return nil, errors.New("auth: point not on curve")
		}
		return pub, nil
	case "RSA":
		n, err := b64int(k.N)
		if err != nil {
			return nil, err
		}
		e, err := b64int(k.E)
		// crypto/rsa verifies only with an odd exponent in [3, 2^31-1]; refuse others here.
		if err != nil || !e.IsInt64() || e.Int64() < 3 || e.Int64() > 1<<31-1 || e.Bit(0) == 0 {
			return nil, errors.New("auth: bad RSA exponent")
		}
		if n.BitLen() < 2048 {
			return nil, errors.New("auth: RSA key too small")
		}
		return &rsa.PublicKey{N: n, E: int(e.Int64())}, nil
	}
	return nil, errors.New("auth: unsupported key type")
}
