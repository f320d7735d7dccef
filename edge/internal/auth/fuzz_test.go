package auth

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/hmac"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"io"
	"math"
	"math/big"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
)

var fuzzNow = time.Unix(1_800_000_000, 0)

const fuzzIssuer = "http://edge"

func b64(b []byte) string { return base64.RawURLEncoding.EncodeToString(b) }

// hs256 signs header.payload with the test secret, whatever the header says.
func hs256(header, payload []byte) string {
	m := hmac.New(sha256.New, secret)
	signing := b64(header) + "." + b64(payload)
	m.Write([]byte(signing))
	return signing + "." + b64(m.Sum(nil))
}

// strictClaims reads a payload the way PostgREST and Realtime do: exact claim names, JSON
// numbers for times.
func strictClaims(payload []byte) (map[string]any, bool) {
	var c map[string]any
	d := json.NewDecoder(bytes.NewReader(payload))
	d.UseNumber()
	if d.Decode(&c) != nil || c == nil {
		return nil, false
	}
	return c, true
}

func num(v any) (float64, bool) {
	n, ok := v.(json.Number)
	if !ok {
		return 0, false
	}
	f, err := n.Float64()
	return f, err == nil && !math.IsInf(f, 0)
}

// FuzzVerifyClaims signs arbitrary claims (and headers) with the project secret, so every
// claim check is reached: whatever Verify accepts has, read strictly, role "authenticated",
// audience "authenticated", an unexpired exp, a UUID sub equal to the principal's user; a device
// principal additionally has this edge's issuer, the no-session marker and device scopes only,
// and a user principal has no device_id.
func FuzzVerifyClaims(f *testing.F) {
	dev := uuid.MustParse("22222222-2222-4222-8222-222222222222")
	mk := func(c map[string]any) []byte { b, _ := json.Marshal(c); return b }
	base := func() map[string]any {
		return map[string]any{"sub": userID, "aud": "authenticated", "role": "authenticated", "exp": fuzzNow.Add(time.Hour).Unix()}
	}
	hs := []byte(`{"alg":"HS256","typ":"JWT"}`)
	f.Add(hs, mk(base()))
	device := base()
	device["iss"], device["session_id"], device["device_id"], device["scopes"] = fuzzIssuer, DeviceSessionID, dev.String(), []string{"imports:receive", "imports:report", "api_keys:manage"}
	f.Add(hs, mk(device))
	for _, mut := range []func(c map[string]any){
		func(c map[string]any) { c["aud"] = []string{"other", "authenticated"} },
		func(c map[string]any) { c["aud"] = []any{} },
		func(c map[string]any) { c["exp"] = "4102444800" },
		func(c map[string]any) { c["exp"] = 1e300 },
		func(c map[string]any) { c["exp"] = fuzzNow.Add(-4 * time.Second).Unix() },
		func(c map[string]any) { c["exp"] = fuzzNow.Add(-6 * time.Second).Unix() },
		func(c map[string]any) { c["nbf"] = fuzzNow.Add(time.Minute).Unix() },
		func(c map[string]any) { c["role"] = "service_role" },
		func(c map[string]any) { c["sub"] = strings.ToUpper(userID) },
		func(c map[string]any) { c["sub"] = "{" + userID + "}" },
		func(c map[string]any) { c["sub"] = "urn:uuid:" + userID },
		func(c map[string]any) { c["sub"] = "0" + userID + "0" },
		func(c map[string]any) {
			c["device_id"] = "x" + dev.String() + "x"
			c["iss"] = fuzzIssuer
			c["session_id"] = DeviceSessionID
		},
		func(c map[string]any) { c["device_id"] = "" },
		func(c map[string]any) { c["device_id"] = dev.String() }, // without issuer and marker
		func(c map[string]any) { c["device_id"] = 7 },
		func(c map[string]any) { c["scopes"] = "imports:receive" },
	} {
		c := base()
		mut(c)
		f.Add(hs, mk(c))
	}
	f.Add(hs, []byte(`{"sub":"`+userID+`","aud":"authenticated","role":"anon","Role":"authenticated","exp":4102444800}`))
	f.Add(hs, []byte(`{"sub":"`+userID+`","aud":"authenticated","role":"authenticated","exp":4102444800,"device_id":"`+dev.String()+`","DEVICE_ID":""}`))
	f.Add([]byte(`{"alg":"none"}`), mk(base()))
	f.Add([]byte(`{"alg":"HS512"}`), mk(base()))
	f.Add([]byte(`{"alg":"ES256","kid":"k"}`), mk(base()))
	f.Add([]byte(`{"alg":"HS256","crit":["exp"]}`), mk(base()))
	f.Add(hs, []byte(`null`))
	f.Add(hs, []byte(`[]`))

	j, err := NewJWTs(secret, fuzzIssuer, nil, 0)
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, header, payload []byte) {
		p, err := j.Verify(hs256(header, payload), fuzzNow)
		if err != nil {
			return
		}
		var h map[string]any
		if json.Unmarshal(header, &h) != nil || h["alg"] != "HS256" {
			t.Fatalf("accepted header %q", header)
		}
		c, ok := strictClaims(payload)
		if !ok {
			t.Fatalf("accepted a payload that is not a JSON object: %q", payload)
		}
		if c["role"] != "authenticated" {
			t.Fatalf("accepted role %v: %s", c["role"], payload)
		}
		switch aud := c["aud"].(type) {
		case string:
			if aud != "authenticated" {
				t.Fatalf("accepted aud %q", aud)
			}
		case []any:
			if !slices.Contains(aud, any("authenticated")) {
				t.Fatalf("accepted aud %v", aud)
			}
		default:
			t.Fatalf("accepted aud %v: %s", c["aud"], payload)
		}
		if exp, ok := num(c["exp"]); !ok || exp <= float64(fuzzNow.Add(-5*time.Second).Unix())-1 {
			t.Fatalf("accepted exp %v", c["exp"])
		}
		if nbf, present := c["nbf"]; present {
			if v, ok := num(nbf); !ok || v > float64(fuzzNow.Add(5*time.Second).Unix())+1 {
				t.Fatalf("accepted nbf %v", nbf)
			}
		}
		if sub, _ := c["sub"].(string); len(sub) != 36 || !strings.EqualFold(sub, p.UserID.String()) {
			t.Fatalf("principal user %v from sub %v", p.UserID, c["sub"])
		}
		did, _ := c["device_id"].(string)
		switch p.Kind {
		case Device:
			if len(did) != 36 || !strings.EqualFold(did, p.DeviceID.String()) || c["iss"] != fuzzIssuer || c["session_id"] != DeviceSessionID {
				t.Fatalf("device principal from %s", payload)
			}
			for _, s := range p.Scopes {
				if !slices.Contains(DeviceScopes(), s) {
					t.Fatalf("device principal with scope %q", s)
				}
			}
		case User:
			if did != "" {
				t.Fatalf("user principal from a token with device_id %q: %s", did, payload)
			}
			if p.DeviceID != uuid.Nil || p.Has(ScopeImportsReceive) {
				t.Fatalf("user principal %+v", p)
			}
		default:
			t.Fatalf("principal kind %v", p.Kind)
		}
	})
}

// FuzzVerifyToken: whatever string arrives as a bearer token, Verify accepts it only when its
// third segment is the HMAC-SHA256 of the first two under the project secret (no JWKS here).
func FuzzVerifyToken(f *testing.F) {
	j, err := NewJWTs(secret, fuzzIssuer, nil, 0)
	if err != nil {
		f.Fatal(err)
	}
	devTok, _, _ := j.MintDevice(uuid.MustParse(userID), uuid.New(), "blender", fuzzNow)
	user := hs256([]byte(`{"alg":"HS256","typ":"JWT"}`), []byte(`{"sub":"`+userID+`","aud":"authenticated","role":"authenticated","exp":4102444800}`))
	for _, s := range []string{devTok, user, user + "=", user[:len(user)-1], strings.Replace(user, ".", "..", 1), "a.b.c", "", "...",
		"eyJhbGciOiJub25lIiwidHlwIjoiSldUIn0.eyJzdWIiOiIxMTExMTExMS0xMTExLTQxMTEtODExMS0xMTExMTExMTExMTEiLCJhdWQiOiJhdXRoZW50aWNhdGVkIiwicm9sZSI6ImF1dGhlbnRpY2F0ZWQiLCJleHAiOjQxMDI0NDQ4MDB9.",
		strings.Repeat(".", 4096), " " + user, user + " "} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		if _, err := j.Verify(raw, fuzzNow); err != nil {
			return
		}
		parts := strings.Split(raw, ".")
		if len(parts) != 3 {
			t.Fatalf("accepted %d segments", len(parts))
		}
		sig, err := base64.RawURLEncoding.DecodeString(parts[2])
		m := hmac.New(sha256.New, secret)
		m.Write([]byte(parts[0] + "." + parts[1]))
		if err != nil || !hmac.Equal(sig, m.Sum(nil)) {
			t.Fatalf("accepted a token the secret did not sign: %q", raw)
		}
	})
}

type jwksBody []byte

func (b jwksBody) RoundTrip(r *http.Request) (*http.Response, error) {
	return &http.Response{StatusCode: 200, Header: http.Header{}, Body: io.NopCloser(bytes.NewReader(b)), Request: r}, nil
}

// FuzzParseJWKS: any JWKS document yields only keys that can verify something honestly: P-256
// points on the curve with coordinates below the field prime, RSA moduli of at least 2048 bits
// with an odd public exponent in [3, 2^31-1]; never a key the document marks for another use.
func FuzzParseJWKS(f *testing.F) {
	ec, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	rk, _ := rsa.GenerateKey(rand.Reader, 2048)
	x, y := b64(ec.X.FillBytes(make([]byte, 32))), b64(ec.Y.FillBytes(make([]byte, 32)))
	n := b64(rk.N.Bytes())
	doc := func(keys ...string) []byte { return []byte(`{"keys":[` + strings.Join(keys, ",") + `]}`) }
	ecKey := func(kid, x, y, extra string) string {
		return `{"kty":"EC","crv":"P-256","kid":"` + kid + `","x":"` + x + `","y":"` + y + `"` + extra + `}`
	}
	rsaKey := func(kid, n, e string) string {
		return `{"kty":"RSA","kid":"` + kid + `","n":"` + n + `","e":"` + e + `"}`
	}
	p := elliptic.P256().Params().P
	f.Add(doc(ecKey("k1", x, y, `,"use":"sig","alg":"ES256"`), rsaKey("r1", n, "AQAB")))
	f.Add(doc(ecKey("k1", x, y, `,"use":"enc"`)))
	f.Add(doc(ecKey("k1", x, b64(new(big.Int).Add(ec.Y, p).Bytes()), "")))        // y + p: same point mod p
	f.Add(doc(ecKey("k1", b64(p.Bytes()), b64(big.NewInt(0).Bytes()), "")))       // x = p
	f.Add(doc(ecKey("k1", x, b64(new(big.Int).Sub(p, ec.Y).Bytes()), "")))        // the negated point: valid
	f.Add(doc(ecKey("k1", "", "", ""), ecKey("k1", x, y, `,"crv":"P-384"`)))      // empty, other curve
	f.Add(doc(rsaKey("r1", n, "AQ"), rsaKey("r2", n, "Ag"), rsaKey("r3", n, ""))) // e = 1, e = 2, none
	f.Add(doc(rsaKey("r1", n, b64(big.NewInt(1<<31+1).Bytes())), rsaKey("r2", n, "AQAAAAAAAAAB")))
	f.Add(doc(rsaKey("r1", b64(rk.N.Bytes()[:200]), "AQAB")))
	f.Add(doc(rsaKey("r1", "AAAA"+n, "AQAB")))
	f.Add(doc(`{"kty":"oct","k":"c2VjcmV0","kid":"h"}`, `{"kty":"OKP","crv":"Ed25519","x":"`+x+`"}`))
	f.Add([]byte(`{"keys":null}`))
	f.Add([]byte(`{"keys":[null,1,"x",[]]}`))
	f.Add([]byte(`not json`))
	f.Fuzz(func(t *testing.T, body []byte) {
		j := NewJWKS("https://project.supabase.test/auth/v1/.well-known/jwks.json", &http.Client{Transport: jwksBody(body)})
		keys, err := j.fetch()
		if err != nil {
			return
		}
		var raw struct{ Keys []map[string]any }
		_ = json.Unmarshal(body, &raw)
		for kid, k := range keys {
			switch pub := k.(type) {
			case *ecdsa.PublicKey:
				prm := pub.Curve.Params()
				if prm.Name != "P-256" || pub.X.Sign() < 0 || pub.Y.Sign() < 0 || pub.X.Cmp(prm.P) >= 0 || pub.Y.Cmp(prm.P) >= 0 {
					t.Fatalf("kid %q: EC key outside P-256's field", kid)
				}
				if _, err := pub.ECDH(); err != nil {
					t.Fatalf("kid %q: EC key is not a valid point: %v", kid, err)
				}
			case *rsa.PublicKey:
				if pub.N.BitLen() < 2048 || pub.E < 3 || pub.E%2 == 0 || pub.E > 1<<31-1 {
					t.Fatalf("kid %q: RSA key with %d bits, e=%d", kid, pub.N.BitLen(), pub.E)
				}
			default:
				t.Fatalf("kid %q: key of type %T", kid, k)
			}
			// The kid names a key the document offers for signatures.
			found := false
			for _, rk := range raw.Keys {
				if use, _ := rk["use"].(string); strings.EqualFold(fmtKid(rk["kid"]), kid) && (use == "" || use == "sig") {
					found = true
				}
			}
			if !found {
				t.Fatalf("kid %q is not a signing key of the document", kid)
			}
		}
	})
}

func fmtKid(v any) string { s, _ := v.(string); return s }
