package shaderpkg

import (
	"crypto/ed25519"
	"encoding/base64"
	"encoding/json"
	"testing"
	"time"

	"github.com/octanebridge/octane-bridge/schemas/schematest"
)

// The examples of schemas/delivery.schema.json decode strictly into Delivery, validate, and
// re-encode to the same JSON; signed and verified they come back unchanged, and the envelope
// passes the schema's "signed" part: the Go type and the schema agree.
func TestDeliveryExamples(t *testing.T) {
	s := schematest.Compile(t, "delivery")
	env := schematest.Compile(t, "delivery#/$defs/signed")
	seed := make([]byte, ed25519.SeedSize)
	pub := ed25519.NewKeyFromSeed(seed).Public().(ed25519.PublicKey)
	kr, err := NewSigningKeyring("k1", seed)
	if err != nil {
		t.Fatal(err)
	}
	for _, ex := range schematest.Examples(t, "delivery") {
		if err := schematest.Validate(t, s, ex.JSON); err != nil {
			t.Errorf("%s: %v", ex.Name, err)
		}
		var d Delivery
		if err := decodeStrict(ex.JSON, &d); err != nil {
			t.Fatalf("%s: %v", ex.Name, err)
		}
		if err := d.Validate(); err != nil {
			t.Errorf("%s: %v", ex.Name, err)
		}
		out, _ := json.Marshal(d)
		if !schematest.SameJSON(t, out, ex.JSON) {
			t.Errorf("%s: re-encoded as %s", ex.Name, out)
		}
		signed, err := SignDelivery(kr, d)
		if err != nil {
			t.Fatal(err)
		}
		wire, _ := json.Marshal(signed)
		if err := schematest.Validate(t, env, wire); err != nil {
			t.Errorf("%s envelope: %v", ex.Name, err)
		}
		payload, _ := base64.RawURLEncoding.DecodeString(signed.Payload)
		if err := schematest.Validate(t, s, payload); err != nil {
			t.Errorf("%s signed payload: %v", ex.Name, err)
		}
		got, err := VerifyDelivery(map[string]ed25519.PublicKey{"k1": pub}, signed, time.Unix(d.IssuedAt+1, 0))
		if err != nil || !schematest.SameJSON(t, mustJSON(got), ex.JSON) {
			t.Errorf("%s: verified as %+v, %v", ex.Name, got, err)
		}
	}
}

func mustJSON(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return b
}

// A v2 example with a v1 field, or the reverse, fails the schema and Validate alike.
func TestDeliverySchemaSeparatesVersions(t *testing.T) {
	s := schematest.Compile(t, "delivery")
	versions := map[float64]bool{}
	for _, ex := range schematest.Examples(t, "delivery") {
		var raw map[string]any
		json.Unmarshal(ex.JSON, &raw)
		versions[raw["v"].(float64)] = true
		if raw["v"].(float64) == 2 {
			raw["sha256"] = hexOf('a')
		} else {
			raw["textures"] = nil
			raw["base"] = map[string]any{"sha256": raw["sha256"], "size": raw["size"], "files": raw["files"]}
		}
		b := mustJSON(raw)
		if schematest.Validate(t, s, b) == nil {
			t.Errorf("%s: the schema accepts the other version's field", ex.Name)
		}
		var d Delivery
		if err := decodeStrict(b, &d); err == nil && d.Validate() == nil {
			t.Errorf("%s: Validate accepts the other version's field", ex.Name)
		}
	}
	if !versions[1] || !versions[2] {
		t.Fatalf("want examples of v1 and v2, have %v", versions)
	}
}

// The bridge's reader of a delivery payload (strict decoding, then Validate) refuses exactly what
// the schema refuses, with DELIVERY_MALFORMED naming the field.
func TestDeliveryReaderAgreesWithTheSchema(t *testing.T) {
	read := func(b []byte) error { _, err := parseDelivery(b); return err }
	coded := func(err error) bool { return CodeOf(err) == CodeDeliveryMalformed }
	if n := schematest.Agree(t, "delivery", read, coded); n < 100 {
		t.Fatalf("only %d refusals checked", n)
	}
}
