package webhooks

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hkdf"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"strconv"
	"strings"
	"time"
)

// SecretPrefix starts every endpoint secret (Standard Webhooks: whsec_ + base64 of the key).
const SecretPrefix = "whsec_"

// NewSecret is a fresh whsec_ secret: 32 random bytes, base64.
func NewSecret() string {
	b := make([]byte, 32)
	_, _ = rand.Read(b)
	return SecretPrefix + base64.StdEncoding.EncodeToString(b)
}

// Masked shows which secret an endpoint has without revealing it: whsec_…<last 4>.
func Masked(secret string) string {
	if len(secret) < len(SecretPrefix)+8 {
		return SecretPrefix + "…"
	}
	return SecretPrefix + "…" + secret[len(secret)-4:]
}

// Signature is the webhook-signature header for one message: a "v1,<base64 HMAC-SHA256>" of
// "<id>.<unix seconds>.<body>" per secret, space-separated (Standard Webhooks), so a receiver
// holding either the new or the previous secret of a rotation verifies it.
func Signature(id string, at time.Time, body []byte, secrets ...string) (string, error) {
	sigs := make([]string, 0, len(secrets))
	for _, s := range secrets {
		key, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(s, SecretPrefix))
		if err != nil || !strings.HasPrefix(s, SecretPrefix) || len(key) < 24 {
			return "", errors.New("webhooks: not a whsec_ secret")
		}
		m := hmac.New(sha256.New, key)
		m.Write([]byte(id + "." + strconv.FormatInt(at.Unix(), 10) + "."))
		m.Write(body)
		sigs = append(sigs, "v1,"+base64.StdEncoding.EncodeToString(m.Sum(nil)))
	}
	return strings.Join(sigs, " "), nil
}

// sealer encrypts endpoint secrets at rest (AES-256-GCM, the endpoint id as associated data, so
// a ciphertext copied to another row does not open). Its key is derived from API_KEY_PEPPER, which
// never enters the database: a dump alone signs nothing.
type sealer struct{ aead cipher.AEAD }

func newSealer(pepper []byte) sealer {
	// Neither call can fail for these sizes (32 bytes out of HKDF, AES-256, the standard nonce).
	key, _ := hkdf.Key(sha256.New, pepper, nil, "octane-bridge/webhook-secret/v1", 32)
	block, _ := aes.NewCipher(key)
	aead, _ := cipher.NewGCM(block)
	return sealer{aead}
}

func (s sealer) seal(secret string, endpoint []byte) []byte {
	nonce := make([]byte, s.aead.NonceSize())
	_, _ = rand.Read(nonce)
	return s.aead.Seal(nonce, nonce, []byte(secret), endpoint)
}

func (s sealer) open(box, endpoint []byte) (string, error) {
	n := s.aead.NonceSize()
	if len(box) < n {
		return "", errors.New("webhooks: sealed secret too short")
	}
	plain, err := s.aead.Open(nil, box[:n], box[n:], endpoint)
	return string(plain), err
}
