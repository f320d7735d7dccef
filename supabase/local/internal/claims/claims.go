// Package claims signs and verifies the project's Supabase-compatible JWTs (HS256 with the
// project's secret), the way GoTrue, PostgREST and Realtime all do against one secret.
package claims

import (
	"crypto/ecdsa"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// Kind says why a token was refused; each front end maps it to its own wire error.
type Kind int

const (
	Malformed Kind = iota + 1
	BadSignature
	Expired
	MissingClaim
)

// Error is a refused token.
type Error struct {
	Kind   Kind
	Detail string
	// ExpiredFor is how long ago an expired token expired.
	ExpiredFor time.Duration
}

func (e *Error) Error() string { return e.Detail }

// Claims is the decoded JSON object of a verified token, kept raw so that every claim reaches
// request.jwt.claims exactly as signed.
type Claims map[string]any

// Role is the PostgreSQL role the token asks for.
func (c Claims) Role() string { s, _ := c["role"].(string); return s }

// Sub is the user id.
func (c Claims) Sub() string { s, _ := c["sub"].(string); return s }

// String returns a string claim.
func (c Claims) String(name string) string { s, _ := c[name].(string); return s }

// Exp is the expiry, zero when absent.
func (c Claims) Exp() time.Time {
	switch v := c["exp"].(type) {
	case float64:
		return time.Unix(int64(v), 0)
	case json.Number:
		n, _ := v.Int64()
		return time.Unix(n, 0)
	}
	return time.Time{}
}

// JSON is the claims object as request.jwt.claims expects it.
func (c Claims) JSON() string {
	b, _ := json.Marshal(map[string]any(c))
	return string(b)
}

// Keys signs and verifies. With an ES256 key it signs with it (header kid) and still verifies the
// HS256 secret's tokens (the anon/service keys, the edge's device JWTs).
type Keys struct {
	secret []byte
	now    func() time.Time
	ec     *ecdsa.PrivateKey
	kid    string
}

// WithES256 makes Sign use ES256 with key (kid in the header); JWKS publishes its public half.
func (k *Keys) WithES256(key *ecdsa.PrivateKey, kid string) *Keys {
	c := *k
	c.ec, c.kid = key, kid
	return &c
}

// JWKS is the public key set for /.well-known/jwks.json (empty for HS256 only, like GoTrue).
func (k *Keys) JWKS() map[string]any {
	keys := []any{}
	if k.ec != nil {
		size := (k.ec.Curve.Params().BitSize + 7) / 8
		x := make([]byte, size)
		y := make([]byte, size)
		k.ec.PublicKey.X.FillBytes(x)
		k.ec.PublicKey.Y.FillBytes(y)
		keys = append(keys, map[string]any{"kty": "EC", "crv": "P-256", "alg": "ES256", "use": "sig", "key_ops": []string{"verify"},
			"kid": k.kid, "x": base64.RawURLEncoding.EncodeToString(x), "y": base64.RawURLEncoding.EncodeToString(y)})
	}
	return map[string]any{"keys": keys}
}

// New returns keys over an HS256 secret; now may be nil.
func New(secret string, now func() time.Time) *Keys {
	if now == nil {
		now = time.Now
	}
	return &Keys{secret: []byte(secret), now: now}
}

// Now is the clock the keys use.
func (k *Keys) Now() time.Time { return k.now() }

// Sign returns a compact HS256 JWT of the claims.
func (k *Keys) Sign(c map[string]any) (string, error) {
	if k.ec != nil {
		t := jwt.NewWithClaims(jwt.SigningMethodES256, jwt.MapClaims(c))
		t.Header["kid"] = k.kid
		return t.SignedString(k.ec)
	}
	t := jwt.NewWithClaims(jwt.SigningMethodHS256, jwt.MapClaims(c))
	return t.SignedString(k.secret)
}

// Verify checks signature and expiry. requireRoleExp mirrors Realtime, which insists on both.
func (k *Keys) Verify(token string, requireRoleExp bool) (Claims, error) {
	token = strings.TrimSpace(token)
	if token == "" || strings.Count(token, ".") != 2 || len(token) > 16<<10 {
		return nil, &Error{Kind: Malformed, Detail: "token is malformed: token contains an invalid number of segments"}
	}
	methods := []string{"HS256", "HS384", "HS512"}
	if k.ec != nil {
		methods = append(methods, "ES256")
	}
	p := jwt.NewParser(jwt.WithValidMethods(methods), jwt.WithoutClaimsValidation(), jwt.WithJSONNumber())
	var mc jwt.MapClaims
	_, err := p.ParseWithClaims(token, &mc, func(t *jwt.Token) (any, error) {
		if t.Method.Alg() == "ES256" {
			if kid, _ := t.Header["kid"].(string); kid != k.kid {
				return nil, errors.New("unknown kid")
			}
			return &k.ec.PublicKey, nil
		}
		return k.secret, nil
	})
	if err != nil {
		switch {
		case errors.Is(err, jwt.ErrTokenSignatureInvalid), errors.Is(err, jwt.ErrTokenUnverifiable):
			return nil, &Error{Kind: BadSignature, Detail: "signature is invalid"}
		default:
			return nil, &Error{Kind: Malformed, Detail: "token is malformed: " + err.Error()}
		}
	}
	if mc == nil { // a payload of null: GoTrue and PostgREST want an object (found by FuzzVerify)
		return nil, &Error{Kind: Malformed, Detail: "token is malformed: claims are not a JSON object"}
	}
	c := Claims{}
	for key, v := range mc {
		if n, ok := v.(json.Number); ok {
			if i, err := n.Int64(); err == nil {
				c[key] = float64(i)
				continue
			}
			f, _ := n.Float64()
			c[key] = f
			continue
		}
		c[key] = v
	}
	if _, ok := c["exp"]; ok {
		if _, isNum := c["exp"].(float64); !isNum {
			return nil, &Error{Kind: Malformed, Detail: "token is malformed: exp is not a number"}
		}
		if exp := c.Exp(); !k.now().Before(exp) {
			return nil, &Error{Kind: Expired, Detail: "token has invalid claims: token is expired", ExpiredFor: k.now().Sub(exp)}
		}
	}
	if requireRoleExp {
		if c.Role() == "" || c.Exp().IsZero() {
			return nil, &Error{Kind: MissingClaim, Detail: "Fields `role` and `exp` are required in JWT"}
		}
	}
	return c, nil
}

// AsError unwraps a claims error.
func AsError(err error) *Error {
	var e *Error
	if errors.As(err, &e) {
		return e
	}
	return &Error{Kind: Malformed, Detail: fmt.Sprint(err)}
}
