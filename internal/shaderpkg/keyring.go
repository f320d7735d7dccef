package shaderpkg

import (
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/base64"
	"regexp"
	"slices"
	"strings"

	"github.com/octanebridge/octane-bridge/internal/b64url"
)

// LocalDevKID names the local development signing key. Its seed is public (it is derived from a
// fixed string), so only local builds may trust it.
const LocalDevKID = "local-1"

const localDevSeedText = "octane-bridge local manifest key"

// LocalDevPublicKey is the public half of the development key in env / -ldflags form, spelled
// out so that code shipped to artists (the bridge) can recognise the key without linking its
// seed or any signing code (scripts/check-bridge-secrets.py; TestLocalDevPublicKeyIsTheSeeds).
const LocalDevPublicKey = "local-1:Xo13BA+aaC5veDQN1VCZhwTkdKIL+D5YNDHB46Z4iog="

var reKID = regexp.MustCompile(`^[A-Za-z0-9_-]{1,32}$`)

// SigningKeyring holds Ed25519 private keys by kid. The first key given is the active one used
// for new signatures; the others exist so their public halves can still be published while a
// rotation is under way.
type SigningKeyring struct {
	active string
	keys   map[string]ed25519.PrivateKey
	order  []string
}

// NewSigningKeyring makes a keyring with one active key from a 32-byte seed.
func NewSigningKeyring(kid string, seed []byte) (*SigningKeyring, error) {
	kr := &SigningKeyring{keys: map[string]ed25519.PrivateKey{}}
	if err := kr.add(kid, seed); err != nil {
		return nil, err
	}
	return kr, nil
}

func (kr *SigningKeyring) add(kid string, seed []byte) error {
	if !reKID.MatchString(kid) {
		return errf(CodeKeyring, "kid", "%q must be 1-32 characters of A-Z a-z 0-9 _ -", kid)
	}
	if len(seed) != ed25519.SeedSize {
		return errf(CodeKeyring, kid, "seed must be %d bytes, got %d", ed25519.SeedSize, len(seed))
	}
	if _, dup := kr.keys[kid]; dup {
		return errf(CodeKeyring, kid, "kid listed twice")
	}
	kr.keys[kid] = ed25519.NewKeyFromSeed(seed)
	kr.order = append(kr.order, kid)
	if kr.active == "" {
		kr.active = kid
	}
	return nil
}

// ParseSigningKeyring reads "kid1:<base64 seed>,kid2:<base64 seed>" (standard or URL base64,
// padded or not). The first entry is the active key.
func ParseSigningKeyring(s string) (*SigningKeyring, error) {
	kr := &SigningKeyring{keys: map[string]ed25519.PrivateKey{}}
	err := parseKeyList(s, func(kid string, raw []byte) error { return kr.add(kid, raw) })
	if err != nil {
		return nil, err
	}
	return kr, nil
}

// ParsePublicKeys reads "kid1:<base64 public key>,kid2:<base64 public key>".
func ParsePublicKeys(s string) (map[string]ed25519.PublicKey, error) {
	out := map[string]ed25519.PublicKey{}
	err := parseKeyList(s, func(kid string, raw []byte) error {
		if !reKID.MatchString(kid) {
			return errf(CodeKeyring, "kid", "%q must be 1-32 characters of A-Z a-z 0-9 _ -", kid)
		}
		if len(raw) != ed25519.PublicKeySize {
			return errf(CodeKeyring, kid, "public key must be %d bytes, got %d", ed25519.PublicKeySize, len(raw))
		}
		if _, dup := out[kid]; dup {
			return errf(CodeKeyring, kid, "kid listed twice")
		}
		out[kid] = ed25519.PublicKey(raw)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

func parseKeyList(s string, add func(kid string, raw []byte) error) error {
	s = strings.TrimSpace(s)
	if s == "" {
		return errf(CodeKeyring, "", "empty keyring")
	}
	for _, item := range strings.Split(s, ",") {
		kid, b64, ok := strings.Cut(strings.TrimSpace(item), ":")
		if !ok {
			return errf(CodeKeyring, "", "entry must be kid:base64")
		}
		raw, err := decodeB64(b64)
		if err != nil {
			return errf(CodeKeyring, kid, "key is not base64")
		}
		if err := add(kid, raw); err != nil {
			return err
		}
	}
	return nil
}

func decodeB64(s string) ([]byte, error) {
	s = strings.TrimRight(s, "=")
	if strings.ContainsAny(s, "-_") {
		return base64.RawURLEncoding.DecodeString(s)
	}
	return base64.RawStdEncoding.DecodeString(s)
}

// FormatPublicKeys writes keys in the form ParsePublicKeys reads, sorted by kid (standard base64).
func FormatPublicKeys(keys map[string]ed25519.PublicKey) string {
	kids := make([]string, 0, len(keys))
	for kid := range keys {
		kids = append(kids, kid)
	}
	slices.Sort(kids)
	parts := make([]string, len(kids))
	for i, kid := range kids {
		parts[i] = kid + ":" + base64.StdEncoding.EncodeToString(keys[kid])
	}
	return strings.Join(parts, ",")
}

// ActiveKID is the kid new signatures carry.
func (kr *SigningKeyring) ActiveKID() string { return kr.active }

// PublicKeys returns the public half of every key in the keyring.
func (kr *SigningKeyring) PublicKeys() map[string]ed25519.PublicKey {
	out := make(map[string]ed25519.PublicKey, len(kr.keys))
	for kid, k := range kr.keys {
		out[kid] = k.Public().(ed25519.PublicKey)
	}
	return out
}

// sign returns "<kid>.<b64url(sig)>" over domain || msg with the active key.
func (kr *SigningKeyring) sign(domain string, msg []byte) string {
	sig := ed25519.Sign(kr.keys[kr.active], append([]byte(domain), msg...))
	return kr.active + "." + base64.RawURLEncoding.EncodeToString(sig)
}

// verifySig checks a "<kid>.<b64url(sig)>" string over domain || msg against trusted keys.
func verifySig(trusted map[string]ed25519.PublicKey, domain string, msg []byte, sig string) error {
	// Length and alphabet are checked before anything is decoded.
	const sigB64Len = 86 // RawURLEncoding of 64 bytes
	kid, b64, ok := strings.Cut(sig, ".")
	if !ok || !reKID.MatchString(kid) || len(b64) != sigB64Len || !b64url.Valid(b64) {
		return errf(CodeDeliveryMalformed, "sig", "signature must be <kid>.<base64url signature>")
	}
	pub, ok := trusted[kid]
	if !ok || len(pub) != ed25519.PublicKeySize {
		return errf(CodeUnknownKey, "sig", "no trusted key with kid %q", kid)
	}
	raw, err := base64.RawURLEncoding.Strict().DecodeString(b64)
	if err != nil {
		return errf(CodeDeliveryMalformed, "sig", "signature is not base64url")
	}
	if !ed25519.Verify(pub, append([]byte(domain), msg...), raw) {
		return errf(CodeBadSignature, "sig", "signature does not match (kid %q)", kid)
	}
	return nil
}

// LocalDevSeed is sha256("octane-bridge local manifest key"): the seed of the committed local key.
func LocalDevSeed() []byte {
	s := sha256.Sum256([]byte(localDevSeedText))
	return s[:]
}

// LocalDevKeyring returns the local development signing keyring (kid local-1).
func LocalDevKeyring() *SigningKeyring {
	kr, err := NewSigningKeyring(LocalDevKID, LocalDevSeed())
	if err != nil {
		panic(err) // constant input
	}
	return kr
}

// LocalDevSigningKeys is the local keyring in env form, e.g. for MANIFEST_SIGNING_KEYS.
func LocalDevSigningKeys() string {
	return LocalDevKID + ":" + base64.StdEncoding.EncodeToString(LocalDevSeed())
}

// LocalDevPublicKeys is the local public keyring in env / -ldflags form.
func LocalDevPublicKeys() string {
	return FormatPublicKeys(LocalDevKeyring().PublicKeys())
}
