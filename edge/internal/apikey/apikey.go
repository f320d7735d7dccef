// Package apikey generates and parses API keys, oct_live_<id>_<secret><crc32>, and hashes their
// secrets for storage (HMAC-SHA256 with a server-side pepper; only the hash is stored).
package apikey

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"hash/crc32"
	"strings"
)

const (
	Prefix    = "oct_live_"
	idLen     = 16
	secretLen = 32
	crcLen    = 6
	alphabet  = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
	lower     = "0123456789abcdefghijklmnopqrstuvwxyz" // api_keys.id is [a-z0-9]
	// Len is the length of every key.
	Len = len(Prefix) + idLen + 1 + secretLen + crcLen
)

// ErrMalformed is returned for anything that is not a well-formed key (checksum included), so a
// typo is caught without touching the database.
var ErrMalformed = errors.New("apikey: malformed")

// Key is a parsed key.
type Key struct{ ID, Secret string }

func randString(n int, alpha string) string {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic(err) // crypto/rand never fails on supported platforms
	}
	for i := range b {
		b[i] = alpha[int(b[i])%len(alpha)] // 256 % 62 bias is negligible at 190 bits
	}
	return string(b)
}

func checksum(s string) string {
	v := crc32.ChecksumIEEE([]byte(s))
	out := make([]byte, crcLen)
	for i := crcLen - 1; i >= 0; i-- {
		out[i] = alphabet[v%62]
		v /= 62
	}
	return string(out)
}

// New returns a fresh key and its parts.
func New() (string, Key) {
	k := Key{ID: randString(idLen, lower), Secret: randString(secretLen, alphabet)}
	body := Prefix + k.ID + "_" + k.Secret
	return body + checksum(body), k
}

func in(s, alpha string) bool {
	for i := 0; i < len(s); i++ {
		if strings.IndexByte(alpha, s[i]) < 0 {
			return false
		}
	}
	return true
}

// Parse checks length, alphabet and checksum.
func Parse(s string) (Key, error) {
	if len(s) != Len || !strings.HasPrefix(s, Prefix) {
		return Key{}, ErrMalformed
	}
	rest := s[len(Prefix):]
	id, sep, tail := rest[:idLen], rest[idLen], rest[idLen+1:]
	secret, sum := tail[:secretLen], tail[secretLen:]
	if sep != '_' || !in(id, lower) || !in(secret, alphabet) || !in(sum, alphabet) {
		return Key{}, ErrMalformed
	}
	if !hmac.Equal([]byte(sum), []byte(checksum(s[:len(s)-crcLen]))) {
		return Key{}, ErrMalformed
	}
	return Key{ID: id, Secret: secret}, nil
}

// Hash is hex(HMAC-SHA256(pepper, secret)), the stored form.
func Hash(pepper []byte, secret string) string {
	m := hmac.New(sha256.New, pepper)
	m.Write([]byte(secret))
	return hex.EncodeToString(m.Sum(nil))
}

// Matches compares a secret with a stored hash in constant time.
func Matches(pepper []byte, secret, stored string) bool {
	return hmac.Equal([]byte(Hash(pepper, secret)), []byte(stored))
}

// Masked is the form lists show.
func Masked(id string) string { return Prefix + id + "_" + strings.Repeat("•", 8) }
