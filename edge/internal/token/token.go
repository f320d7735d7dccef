// Package token mints and verifies import tokens: oit1.<kid>.<b64url(payload)>.<b64url(mac)>,
// where mac = HMAC-SHA256(key[kid], "octane-bridge/import-token/v1\x00" || "oit1.<kid>.<payload>").
// Only the edge holds the keys; the bridge treats tokens as opaque and redeems them online.
package token

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"hash"
	"strings"
	"sync"
	"time"

	"github.com/octanebridge/octane-bridge/internal/b64url"
)

const (
	prefix = "oit1."
	domain = "octane-bridge/import-token/v1\x00"
	// TTL is the lifetime of every token.
	TTL = 120 * time.Second
	// Type and Audience are the only values accepted in typ and aud.
	Type     = "import"
	Audience = "octane-bridge/redeem"
	// MaxLen bounds everything the parser looks at; real tokens are about 400 bytes.
	MaxLen     = 1024
	maxKIDLen  = 32
	macB64Len  = 43 // base64url(32 bytes), unpadded
	minKeySize = 32
	// skew tolerates clock differences between edge instances for nbf/iat only.
	skew = 5 * time.Second
)

// Errors; all of them map to INVALID_TOKEN at the API.
var (
	ErrMalformed   = errors.New("token: malformed")
	ErrUnknownKID  = errors.New("token: unknown key id")
	ErrBadMAC      = errors.New("token: bad signature")
	ErrExpired     = errors.New("token: expired")
	ErrNotYetValid = errors.New("token: not yet valid")
	ErrWrongType   = errors.New("token: wrong type or audience")
)

// Claims is the payload. sub is the user, did the device, sid/ver/sha the shader version.
type Claims struct {
	Typ string `json:"typ"`
	JTI string `json:"jti"`
	Sub string `json:"sub"`
	DID string `json:"did"`
	SID string `json:"sid"`
	Ver string `json:"ver"`
	SHA string `json:"sha"`
	Aud string `json:"aud"`
	IAT int64  `json:"iat"`
	NBF int64  `json:"nbf"`
	EXP int64  `json:"exp"`
}

// Keyring maps key ids to HMAC keys; the active one signs, all of them verify (rotation).
type Keyring struct {
	active string
	keys   map[string]*macKey
}

// macKey keeps keyed HMAC states for reuse: Reset returns a used state to "key absorbed"
// without hashing the key pads again, which is most of the cost of a short MAC.
type macKey struct{ pool sync.Pool }

// macState is a keyed HMAC and a scratch buffer holding domain || signed.
type macState struct {
	h   hash.Hash
	buf []byte
}

func newMACKey(key []byte) *macKey {
	k := &macKey{}
	k.pool.New = func() any { return &macState{h: hmac.New(sha256.New, key), buf: make([]byte, 0, len(domain)+MaxLen)} }
	return k
}

// sum is HMAC-SHA256(key, domain || signed), appended to dst.
func (k *macKey) sum(dst []byte, signed string) []byte {
	s := k.pool.Get().(*macState)
	s.buf = append(append(s.buf[:0], domain...), signed...)
	s.h.Write(s.buf)
	dst = s.h.Sum(dst)
	s.h.Reset()
	k.pool.Put(s)
	return dst
}

// ParseKeyring reads "kid1:<base64 key>,kid2:<base64 key>"; the first key signs.
func ParseKeyring(s string) (*Keyring, error) {
	kr := &Keyring{keys: map[string]*macKey{}}
	for _, part := range strings.Split(s, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		kid, b64, ok := strings.Cut(part, ":")
		if !ok || !validKID(kid) {
			return nil, fmt.Errorf("token: keyring entry must be kid:base64 with kid [a-z0-9-]{1,%d}", maxKIDLen)
		}
		key, err := base64.StdEncoding.DecodeString(b64)
		if err != nil {
			key, err = base64.RawURLEncoding.DecodeString(b64)
		}
		if err != nil || len(key) < minKeySize {
			return nil, fmt.Errorf("token: key %q must be base64 of at least %d bytes", kid, minKeySize)
		}
		if _, dup := kr.keys[kid]; dup {
			return nil, fmt.Errorf("token: duplicate kid %q", kid)
		}
		kr.keys[kid] = newMACKey(key)
		if kr.active == "" {
			kr.active = kid
		}
	}
	if kr.active == "" {
		return nil, errors.New("token: keyring is empty")
	}
	return kr, nil
}

// ActiveKID is the kid new tokens carry.
func (kr *Keyring) ActiveKID() string { return kr.active }

func validKID(kid string) bool {
	if len(kid) == 0 || len(kid) > maxKIDLen {
		return false
	}
	for i := 0; i < len(kid); i++ {
		c := kid[i]
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-') {
			return false
		}
	}
	return true
}

// Mint signs c with the active key. IAT/NBF/EXP are set from now and TTL.
func (kr *Keyring) Mint(c Claims, now time.Time) (string, Claims, error) {
	c.Typ, c.Aud = Type, Audience
	c.IAT, c.NBF, c.EXP = now.Unix(), now.Unix(), now.Add(TTL).Unix()
	payload, err := json.Marshal(c)
	if err != nil {
		return "", Claims{}, err
	}
	signed := prefix + kr.active + "." + base64.RawURLEncoding.EncodeToString(payload)
	var m [sha256.Size]byte
	tok := signed + "." + base64.RawURLEncoding.EncodeToString(kr.keys[kr.active].sum(m[:0], signed))
	if len(tok) > MaxLen {
		return "", Claims{}, errors.New("token: claims too large")
	}
	return tok, c, nil
}

// Verify checks shape, kid, MAC (constant time), type, audience and time, in that order; the
// payload is decoded only after the MAC matched.
func (kr *Keyring) Verify(tok string, now time.Time) (Claims, error) {
	if len(tok) > MaxLen || !strings.HasPrefix(tok, prefix) {
		return Claims{}, ErrMalformed
	}
	rest := tok[len(prefix):]
	i := strings.IndexByte(rest, '.')
	if i < 0 {
		return Claims{}, ErrMalformed
	}
	kid := rest[:i]
	rest = rest[i+1:]
	j := strings.IndexByte(rest, '.')
	if j < 0 {
		return Claims{}, ErrMalformed
	}
	payloadB64, macB64 := rest[:j], rest[j+1:]
	if !validKID(kid) || len(payloadB64) == 0 || len(macB64) != macB64Len || !b64url.Valid(payloadB64) || !b64url.Valid(macB64) {
		return Claims{}, ErrMalformed
	}
	key, ok := kr.keys[kid]
	if !ok {
		return Claims{}, ErrUnknownKID
	}
	var got, want [sha256.Size]byte
	if n, err := base64.RawURLEncoding.Decode(got[:], []byte(macB64)); err != nil || n != sha256.Size {
		return Claims{}, ErrMalformed
	}
	if !hmac.Equal(got[:], key.sum(want[:0], tok[:len(prefix)+i+1+j])) {
		return Claims{}, ErrBadMAC
	}
	payload, err := base64.RawURLEncoding.DecodeString(payloadB64)
	if err != nil {
		return Claims{}, ErrMalformed
	}
	c, err := decodeClaims(payload)
	if err != nil {
		return Claims{}, ErrMalformed
	}
	if c.Typ != Type || c.Aud != Audience {
		return Claims{}, ErrWrongType
	}
	n := now.Unix()
	if c.NBF > n+int64(skew/time.Second) || c.IAT > n+int64(skew/time.Second) {
		return Claims{}, ErrNotYetValid
	}
	if c.EXP <= n || c.EXP-c.IAT > int64(TTL/time.Second) {
		return Claims{}, ErrExpired
	}
	return c, nil
}

// Hash is the hex SHA-256 of the whole token, the only form stored (import_tokens.token_hash).
func Hash(tok string) string {
	s := sha256.Sum256([]byte(tok))
	return hex.EncodeToString(s[:])
}
