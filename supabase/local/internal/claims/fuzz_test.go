package claims

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/base64"
	"encoding/json"
	"hash"
	"math/big"
	"reflect"
	"strings"
	"testing"
	"time"
)

var fuzzNow = time.Unix(1_800_000_000, 0)

func b64(b []byte) string { return base64.RawURLEncoding.EncodeToString(b) }

func hsSign(alg string, header, payload []byte) string {
	h := map[string]func() hash.Hash{"HS384": sha512.New384, "HS512": sha512.New}[alg]
	if h == nil {
		h = sha256.New
	}
	signing := b64(header) + "." + b64(payload)
	m := hmac.New(h, []byte(secret))
	m.Write([]byte(signing))
	return signing + "." + b64(m.Sum(nil))
}

// signedBy reports whether raw's third segment is an honest signature of the first two: an
// HMAC under the project secret (HS256/384/512) or, when ec is set, an ES256 signature by ec.
func signedBy(raw string, ec *ecdsa.PublicKey) bool {
	parts := strings.Split(strings.TrimSpace(raw), ".")
	if len(parts) != 3 {
		return false
	}
	sig, err := base64.RawURLEncoding.DecodeString(parts[2])
	if err != nil {
		return false
	}
	signing := []byte(parts[0] + "." + parts[1])
	for _, h := range []func() hash.Hash{sha256.New, sha512.New384, sha512.New} {
		m := hmac.New(h, []byte(secret))
		m.Write(signing)
		if hmac.Equal(m.Sum(nil), sig) {
			return true
		}
	}
	if ec != nil && len(sig) == 64 {
		d := sha256.Sum256(signing)
		return ecdsa.Verify(ec, d[:], new(big.Int).SetBytes(sig[:32]), new(big.Int).SetBytes(sig[32:]))
	}
	return false
}

// FuzzVerify: the stand-in's JWT check (used by its GoTrue, PostgREST and Realtime alike)
// accepts a token only when the project secret (or its ES256 key) signed it; an accepted exp is
// a number in the future; with requireRoleExp (Realtime) role and exp are present; and the
// claims it returns are exactly the signed JSON object (what reaches request.jwt.claims).
func FuzzVerify(f *testing.F) {
	exp := float64(fuzzNow.Add(time.Hour).Unix())
	hs := []byte(`{"alg":"HS256","typ":"JWT"}`)
	for _, s := range []struct {
		header, payload string
	}{
		{string(hs), `{"sub":"u","role":"authenticated","exp":1800003600}`},
		{`{"alg":"HS384"}`, `{"role":"anon","exp":1800003600}`},
		{`{"alg":"HS512"}`, `{"role":"service_role"}`},
		{`{"alg":"none"}`, `{"role":"service_role","exp":1800003600}`},
		{`{"alg":"ES256","kid":"kid-1"}`, `{"role":"authenticated","exp":1800003600}`},
		{`{"alg":"RS256"}`, `{"role":"authenticated","exp":1800003600}`},
		{string(hs), `{"role":"authenticated","exp":"1800003600"}`},
		{string(hs), `{"role":"authenticated","exp":1799999999}`},
		{string(hs), `{"role":"authenticated","exp":1800000000}`},
		{string(hs), `{"role":"authenticated","exp":1e300}`},
		{string(hs), `{"role":"authenticated","exp":-1e300}`},
		{string(hs), `{"role":"authenticated","exp":1800003600.9}`},
		{string(hs), `{"role":"","exp":1800003600}`},
		{string(hs), `{"role":7,"exp":1800003600}`},
		{string(hs), `{"role":"anon","Role":"service_role","exp":1800003600}`},
		{string(hs), `{"role":"authenticated","exp":1800003600,"big":12345678901234567890,"nested":{"a":[1,2.5,null]}}`},
		{string(hs), `[]`},
		{string(hs), `null`},
	} {
		f.Add(hsSign("", []byte(s.header), []byte(s.payload)), true)
		f.Add(hsSign("HS384", []byte(s.header), []byte(s.payload)), false)
	}
	f.Add("", false)
	f.Add("a.b.c", false)
	f.Add(strings.Repeat("a", 16<<10)+"..", false)
	f.Add(" "+hsSign("", hs, []byte(`{"role":"anon","exp":1800003600}`))+"\n", true)

	ec, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	hsKeys := New(secret, func() time.Time { return fuzzNow })
	ecKeys := hsKeys.WithES256(ec, "kid-1")
	good, _ := ecKeys.Sign(map[string]any{"role": "authenticated", "exp": exp})
	f.Add(good, true)
	f.Fuzz(func(t *testing.T, raw string, requireRoleExp bool) {
		for _, k := range []*Keys{hsKeys, ecKeys} {
			var ecPub *ecdsa.PublicKey
			if k.ec != nil {
				ecPub = &ec.PublicKey
			}
			c, err := k.Verify(raw, requireRoleExp)
			if err != nil {
				if e := AsError(err); e.Kind < Malformed || e.Kind > MissingClaim || e.Detail == "" {
					t.Fatalf("refusal %+v", e)
				}
				continue
			}
			if !signedBy(raw, ecPub) {
				t.Fatalf("accepted a token nobody signed: %q", raw)
			}
			if v, present := c["exp"]; present {
				f, ok := v.(float64)
				if !ok || !fuzzNow.Before(time.Unix(int64(f), 0)) {
					t.Fatalf("accepted exp %v", v)
				}
			}
			if requireRoleExp && (c.Role() == "" || c.Exp().IsZero()) {
				t.Fatalf("Realtime accepted a token without role or exp: %v", c)
			}
			// The claims are the signed object, with numbers as float64.
			payload, _ := base64.RawURLEncoding.DecodeString(strings.Split(strings.TrimSpace(raw), ".")[1])
			var want map[string]any
			if err := json.Unmarshal(payload, &want); err != nil || !reflect.DeepEqual(map[string]any(c), want) {
				// Integers beyond 2^53 are read exactly and then rounded once: compare through JSON.
				var back map[string]any
				_ = json.Unmarshal([]byte(c.JSON()), &back)
				if err != nil || !reflect.DeepEqual(back, want) {
					t.Fatalf("claims %v, signed %s", c, payload)
				}
			}
		}
	})
}
