package shaderpkg

import (
	"crypto/ed25519"
	"encoding/base64"
	"encoding/json"
	"regexp"
	"time"
)

// DeliveryVersion is the envelope version ("v") this code signs and accepts.
const DeliveryVersion = 1

// Domain-separation prefixes: a signature made for one purpose never verifies for another.
const (
	deliveryDomain = "octane-bridge/delivery/v1\x00"
	manifestDomain = "octane-bridge/manifest/v1\x00"
)

const (
	// ClockSkew is tolerated between the edge's clock (which sets issued_at / expires_at) and
	// the artist's machine that verifies them.
	ClockSkew = 2 * time.Minute
	// MaxDeliveryLifetime bounds expires_at - issued_at.
	MaxDeliveryLifetime = time.Hour
	// maxPayloadB64 bounds the encoded payload before it is decoded.
	maxPayloadB64 = 128 << 10
)

// Delivery is what the edge promises the bridge about one import: which package, its hash and
// size, and what is inside. The bridge trusts nothing else from the network.
type Delivery struct {
	V            int    `json:"v"`
	ImportID     string `json:"import_id"`
	ShaderID     string `json:"shader_id"`
	Version      string `json:"version"`
	SHA256       string `json:"sha256"` // hex SHA-256 of the whole zip
	Size         int64  `json:"size"`   // zip size in bytes
	MaterialName string `json:"material_name"`
	Files        []File `json:"files"`
	IssuedAt     int64  `json:"issued_at"`  // unix seconds
	ExpiresAt    int64  `json:"expires_at"` // unix seconds
}

// Signed is the envelope on the wire: {"payload": b64url(raw JSON), "sig": "<kid>.<b64url(sig)>"}.
type Signed struct {
	Payload string `json:"payload"`
	Sig     string `json:"sig"`
}

var reImportID = regexp.MustCompile(`^[A-Za-z0-9-]{1,64}$`)

// Validate checks the fields of a delivery (not its times against a clock).
func (d *Delivery) Validate() error {
	bad := func(field, format string, args ...any) error {
		return errf(CodeDeliveryMalformed, field, format, args...)
	}
	if d.V != DeliveryVersion {
		return bad("v", "must be %d, got %d", DeliveryVersion, d.V)
	}
	if !reImportID.MatchString(d.ImportID) {
		return bad("import_id", "must be 1-64 characters of A-Z a-z 0-9 -")
	}
	if !reSlug.MatchString(d.ShaderID) {
		return bad("shader_id", "must be a lowercase slug")
	}
	if !reSemver.MatchString(d.Version) {
		return bad("version", "must be MAJOR.MINOR.PATCH")
	}
	if !reHex256.MatchString(d.SHA256) {
		return bad("sha256", "must be 64 lowercase hex digits")
	}
	if d.Size <= 0 || d.Size > MaxTotalSize {
		return bad("size", "must be 1..%d", int64(MaxTotalSize))
	}
	if err := checkMaterialName(d.MaterialName); err != "" {
		return bad("material_name", "%s", err)
	}
	// Files are the manifest's list; a package always contains manifest.json beside them, so
	// the full layout rules apply minus the texture-resolution cross-check.
	if err := validateFiles(d.Files, nil, false); err != nil {
		e := err.(*Error)
		return bad("files", "%s", e.Msg)
	}
	if d.IssuedAt <= 0 || d.ExpiresAt <= d.IssuedAt {
		return bad("expires_at", "must be after issued_at")
	}
	if time.Duration(d.ExpiresAt-d.IssuedAt)*time.Second > MaxDeliveryLifetime {
		return bad("expires_at", "lifetime exceeds %s", MaxDeliveryLifetime)
	}
	return nil
}

// SignDelivery validates d and signs it with the keyring's active key.
func SignDelivery(kr *SigningKeyring, d Delivery) (Signed, error) {
	if kr == nil || kr.active == "" {
		return Signed{}, errf(CodeKeyring, "", "no signing key")
	}
	if err := d.Validate(); err != nil {
		return Signed{}, err
	}
	raw, err := json.Marshal(d)
	if err != nil {
		return Signed{}, err
	}
	return Signed{
		Payload: base64.RawURLEncoding.EncodeToString(raw),
		Sig:     kr.sign(deliveryDomain, raw),
	}, nil
}

// VerifyDelivery checks the signature against trusted keys (by kid), then decodes and validates
// the payload and checks it is valid at now. Errors are *Error with codes DELIVERY_MALFORMED,
// DELIVERY_UNKNOWN_KEY, DELIVERY_BAD_SIGNATURE, DELIVERY_EXPIRED or DELIVERY_NOT_YET_VALID.
func VerifyDelivery(trusted map[string]ed25519.PublicKey, s Signed, now time.Time) (Delivery, error) {
	d, err := VerifyDeliveryRecord(trusted, s)
	if err != nil {
		return Delivery{}, err
	}
	t := now.Unix()
	skew := int64(ClockSkew / time.Second)
	if t+skew < d.IssuedAt {
		return Delivery{}, errf(CodeNotYetValid, "issued_at", "delivery is issued in the future (check the system clock)")
	}
	if t-skew >= d.ExpiresAt {
		return Delivery{}, errf(CodeExpired, "expires_at", "delivery expired at %s", time.Unix(d.ExpiresAt, 0).UTC().Format(time.RFC3339))
	}
	return d, nil
}

// VerifyDeliveryRecord checks a delivery kept after it was used (the bridge's local library):
// the signature and the fields, not its validity window, which only bounds when a download may
// start. What it vouches for, the package's files, does not expire.
func VerifyDeliveryRecord(trusted map[string]ed25519.PublicKey, s Signed) (Delivery, error) {
	if len(s.Payload) == 0 || len(s.Payload) > maxPayloadB64 || !isB64URL(s.Payload) {
		return Delivery{}, errf(CodeDeliveryMalformed, "payload", "payload must be non-empty base64url")
	}
	raw, err := base64.RawURLEncoding.Strict().DecodeString(s.Payload)
	if err != nil {
		return Delivery{}, errf(CodeDeliveryMalformed, "payload", "payload is not base64url")
	}
	// The signature is checked over the exact bytes before they are parsed as JSON.
	if err := verifySig(trusted, deliveryDomain, raw, s.Sig); err != nil {
		return Delivery{}, err
	}
	var d Delivery
	if err := decodeStrict(raw, &d); err != nil {
		return Delivery{}, errf(CodeDeliveryMalformed, "payload", "%v", err)
	}
	if err := d.Validate(); err != nil {
		return Delivery{}, err
	}
	return d, nil
}

// SignManifest signs the exact manifest.json bytes (stored as shader_versions.manifest_sig).
func SignManifest(kr *SigningKeyring, manifestJSON []byte) (string, error) {
	if kr == nil || kr.active == "" {
		return "", errf(CodeKeyring, "", "no signing key")
	}
	if _, err := ParseManifest(manifestJSON); err != nil {
		return "", err
	}
	return kr.sign(manifestDomain, manifestJSON), nil
}

// VerifyManifest checks a SignManifest signature and returns the parsed manifest.
func VerifyManifest(trusted map[string]ed25519.PublicKey, manifestJSON []byte, sig string) (Manifest, error) {
	if err := verifySig(trusted, manifestDomain, manifestJSON, sig); err != nil {
		return Manifest{}, err
	}
	return ParseManifest(manifestJSON)
}

// DeliveryFor builds the delivery for a published version. now is the edge's clock.
func DeliveryFor(importID string, m Manifest, zipSHA256 string, zipSize int64, now time.Time, ttl time.Duration) Delivery {
	return Delivery{
		V:            DeliveryVersion,
		ImportID:     importID,
		ShaderID:     m.ShaderID,
		Version:      m.Version,
		SHA256:       zipSHA256,
		Size:         zipSize,
		MaterialName: m.MaterialName,
		Files:        m.Files,
		IssuedAt:     now.Unix(),
		ExpiresAt:    now.Add(ttl).Unix(),
	}
}
