package shaderpkg

import (
	"crypto/ed25519"
	"encoding/base64"
	"encoding/json"
	"reflect"
	"regexp"
	"strings"
	"time"

	"github.com/octanebridge/octane-bridge/internal/b64url"
	"github.com/octanebridge/octane-bridge/internal/jsonkeys"
)

// Delivery payload versions ("v"). v1 describes one zip (a schema_version 1 package); v2 a
// base zip plus at most one texture set of a schema_version 2 package.
const (
	DeliveryVersion   = 1
	DeliveryVersionV2 = 2
)

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

// Delivery is what the edge promises the bridge about one import: which package, the hash and
// size of each object to download, and what is inside. The bridge trusts nothing else from the
// network. v1 fills SHA256, Size and Files; v2 fills Resolution, Base and Textures.
type Delivery struct {
	V            int    `json:"v"`
	ImportID     string `json:"import_id"`
	ShaderID     string `json:"shader_id"`
	Version      string `json:"version"`
	SHA256       string `json:"sha256"` // v1: hex SHA-256 of the whole zip
	Size         int64  `json:"size"`   // v1: zip size in bytes
	MaterialName string `json:"material_name"`
	Files        []File `json:"files"` // v1
	// Resolution (v2) is the chosen texture set's, "" (null) for a version without sets.
	Resolution string         `json:"resolution" jsonkeys:"nullable"`
	Base       DeliveryObject `json:"base"`       // v2: the base zip
	Textures   *TextureSet    `json:"textures"`   // v2: the chosen set, nil (null) without sets
	IssuedAt   int64          `json:"issued_at"`  // unix seconds
	ExpiresAt  int64          `json:"expires_at"` // unix seconds
}

// DeliveryObject is one zip a v2 delivery names: the base (no resolution) or the texture set.
type DeliveryObject = TextureSet

// MarshalJSON writes each version's own fields (the signed payload has exactly these).
func (d Delivery) MarshalJSON() ([]byte, error) {
	type plain Delivery
	type absent *struct{}
	if d.V == DeliveryVersionV2 {
		var res *string
		if d.Resolution != "" {
			res = &d.Resolution
		}
		return json.Marshal(struct {
			plain
			SHA256     absent  `json:"sha256,omitempty"`
			Size       absent  `json:"size,omitempty"`
			Files      absent  `json:"files,omitempty"`
			Resolution *string `json:"resolution"`
		}{plain: plain(d), Resolution: res})
	}
	return json.Marshal(struct {
		plain
		Resolution absent `json:"resolution,omitempty"`
		Base       absent `json:"base,omitempty"`
		Textures   absent `json:"textures,omitempty"`
	}{plain: plain(d)})
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
	if d.V != DeliveryVersion && d.V != DeliveryVersionV2 {
		return bad("v", "must be %d or %d, got %d", DeliveryVersion, DeliveryVersionV2, d.V)
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
	if err := checkMaterialName(d.MaterialName); err != "" {
		return bad("material_name", "%s", err)
	}
	if err := d.validateObjects(); err != nil {
		e := err.(*Error)
		return bad(e.Field, "%s", e.Msg)
	}
	if d.IssuedAt <= 0 || d.ExpiresAt <= d.IssuedAt {
		return bad("expires_at", "must be after issued_at")
	}
	if time.Duration(d.ExpiresAt-d.IssuedAt)*time.Second > MaxDeliveryLifetime {
		return bad("expires_at", "lifetime exceeds %s", MaxDeliveryLifetime)
	}
	return nil
}

// Objects is what a delivery asks to download, for either version: the package (v1's one zip,
// v2's base) and the chosen texture set (nil for v1 and for a version without sets).
func (d *Delivery) Objects() (pkg DeliveryObject, textures *TextureSet) {
	if d.V != DeliveryVersionV2 {
		return DeliveryObject{SHA256: d.SHA256, Size: d.Size, Files: d.Files}, nil
	}
	return d.Base, d.Textures
}

// validateObjects checks what to download: v1's one zip, or v2's base and chosen set. Its
// *Error's field and message are reported under DELIVERY_MALFORMED.
func (d *Delivery) validateObjects() error {
	if d.V == DeliveryVersionV2 {
		if d.SHA256 != "" || d.Size != 0 || d.Files != nil {
			return errf(CodeDeliveryMalformed, "v", "sha256, size and files are v1 fields; v2 has base and textures")
		}
		if d.Base.Resolution != "" {
			return errf(CodeDeliveryMalformed, "base", "the base has no resolution")
		}
		if err := validateObject("base.", d.Base.SHA256, d.Base.Size); err != nil {
			return err
		}
		if err := validateBaseFiles(d.Base.Files); err != nil {
			return errf(CodeDeliveryMalformed, "base.files", "%s", err.(*Error).Msg)
		}
		switch {
		case d.Textures == nil && d.Resolution != "":
			return errf(CodeDeliveryMalformed, "textures", "resolution %s names no texture set", d.Resolution)
		case d.Textures == nil:
			return nil
		case d.Textures.Resolution != d.Resolution:
			return errf(CodeDeliveryMalformed, "resolution", "is %q but the texture set is %q", d.Resolution, d.Textures.Resolution)
		}
		return validateSet("textures", *d.Textures)
	}
	if d.Resolution != "" || d.Textures != nil || !reflect.ValueOf(d.Base).IsZero() {
		return errf(CodeDeliveryMalformed, "v", "resolution, base and textures are v2 fields")
	}
	if err := validateObject("", d.SHA256, d.Size); err != nil {
		return err
	}
	// Files are the manifest's list; a package always contains manifest.json beside them, so
	// the generic path rules apply, not the layout (checked when the package is read).
	return validateFiles("files", d.Files, MaxFiles, nil)
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
	if len(s.Payload) == 0 || len(s.Payload) > maxPayloadB64 || !b64url.Valid(s.Payload) {
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
	return parseDelivery(raw)
}

// deliveryOtherKeys are the fields of Delivery a payload version does not have.
var deliveryOtherKeys = map[int][]string{DeliveryVersion: {"resolution", "base", "textures"}, DeliveryVersionV2: {"sha256", "size", "files"}}

// parseDelivery reads a payload as schemas/delivery.schema.json does: no unknown field, every
// field its version requires present and not null (missing and null decode to the zero value,
// which Validate cannot tell from a real one), then Validate.
func parseDelivery(raw []byte) (Delivery, error) {
	var d Delivery
	if err := decodeStrict(raw, &d); err != nil {
		return Delivery{}, errf(CodeDeliveryMalformed, "payload", "%v", err)
	}
	if other, known := deliveryOtherKeys[d.V]; known {
		if err := jsonkeys.Check(raw, d, other...); err != nil {
			e := err.(*jsonkeys.Error)
			return Delivery{}, errf(CodeDeliveryMalformed, e.Path, "%s", e.Problem)
		}
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

// DeliveryForSet builds the v2 delivery of a schema_version 2 version: its base zip and the
// texture set of resolution res ("" only for a version without sets).
func DeliveryForSet(importID string, m Manifest, baseSHA256 string, baseSize int64, res string, now time.Time, ttl time.Duration) (Delivery, error) {
	d := Delivery{
		V:            DeliveryVersionV2,
		ImportID:     importID,
		ShaderID:     m.ShaderID,
		Version:      m.Version,
		MaterialName: m.MaterialName,
		Resolution:   res,
		Base:         DeliveryObject{SHA256: baseSHA256, Size: baseSize, Files: m.Files},
		IssuedAt:     now.Unix(),
		ExpiresAt:    now.Add(ttl).Unix(),
	}
	if m.SchemaVersion != SchemaVersionV2 {
		return Delivery{}, errf(CodeDeliveryMalformed, "v", "%s %s is a schema_version %d package; use DeliveryFor", m.ShaderID, m.Version, m.SchemaVersion)
	}
	if res == "" && len(m.TextureSets) == 0 {
		return d, nil
	}
	set, ok := m.Set(res)
	if !ok {
		return Delivery{}, errf(CodeDeliveryMalformed, "resolution", "%s %s has no %q texture set (has %s)", m.ShaderID, m.Version, res, strings.Join(m.Resolutions(), " "))
	}
	d.Textures = &set
	return d, nil
}
