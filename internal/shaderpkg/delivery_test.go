package shaderpkg

import (
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"
)

var t0 = time.Unix(1_800_000_000, 0)

func validDelivery() Delivery {
	return DeliveryFor("7c9e6679-7425-40de-944b-e07fc1f90ae7", validManifest(), hexOf('e'), 4096, t0, 5*time.Minute)
}

func TestDeliveryRoundTrip(t *testing.T) {
	kr := LocalDevKeyring()
	s, err := SignDelivery(kr, validDelivery())
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(s.Sig, "local-1.") {
		t.Fatalf("sig %q does not carry the kid", s.Sig)
	}
	d, err := VerifyDelivery(kr.PublicKeys(), s, t0.Add(time.Minute))
	if err != nil {
		t.Fatal(err)
	}
	if d.ShaderID != "brushed-steel" || d.Size != 4096 || len(d.Files) != 3 || d.MaterialName != "OB_BrushedSteel" {
		t.Fatalf("unexpected delivery %+v", d)
	}
	// JSON shape of the envelope and payload is part of the contract.
	env, _ := json.Marshal(s)
	if !strings.Contains(string(env), `"payload":`) || !strings.Contains(string(env), `"sig":`) {
		t.Fatalf("envelope JSON %s", env)
	}
	raw, _ := base64.RawURLEncoding.DecodeString(s.Payload)
	for _, k := range []string{`"v":1`, `"import_id"`, `"shader_id"`, `"sha256"`, `"material_name"`, `"issued_at"`, `"expires_at"`} {
		if !strings.Contains(string(raw), k) {
			t.Errorf("payload lacks %s: %s", k, raw)
		}
	}
}

// The signature is Ed25519 over the documented domain string + raw JSON, so other languages
// (tests, tooling) can verify it without this package.
func TestDeliverySignatureIsDomainSeparated(t *testing.T) {
	kr := LocalDevKeyring()
	s, _ := SignDelivery(kr, validDelivery())
	raw, _ := base64.RawURLEncoding.DecodeString(s.Payload)
	sig, _ := base64.RawURLEncoding.DecodeString(strings.TrimPrefix(s.Sig, "local-1."))
	pub := kr.PublicKeys()["local-1"]
	if !ed25519.Verify(pub, append([]byte("octane-bridge/delivery/v1\x00"), raw...), sig) {
		t.Fatal("signature is not over the documented message")
	}
	if ed25519.Verify(pub, raw, sig) {
		t.Fatal("signature verifies without the domain prefix")
	}
	// A manifest signature must never pass as a delivery signature.
	mb, _ := validManifest().Marshal()
	msig, err := SignManifest(kr, mb)
	if err != nil {
		t.Fatal(err)
	}
	forged := Signed{Payload: base64.RawURLEncoding.EncodeToString(mb), Sig: msig}
	if _, err := VerifyDelivery(kr.PublicKeys(), forged, t0); !errors.Is(err, ErrBadSignature) {
		t.Fatalf("manifest signature accepted as delivery: %v", err)
	}
}

func TestVerifyDeliveryRejects(t *testing.T) {
	kr := LocalDevKeyring()
	other, _ := NewSigningKeyring("local-1", make([]byte, 32))
	rotated, _ := NewSigningKeyring("prod-2", make([]byte, 32))
	good, _ := SignDelivery(kr, validDelivery())
	trusted := kr.PublicKeys()

	tamper := func(edit func(d map[string]any)) Signed {
		raw, _ := base64.RawURLEncoding.DecodeString(good.Payload)
		var m map[string]any
		_ = json.Unmarshal(raw, &m)
		edit(m)
		raw, _ = json.Marshal(m)
		return Signed{Payload: base64.RawURLEncoding.EncodeToString(raw), Sig: good.Sig}
	}
	signedBy := func(k *SigningKeyring) Signed { s, _ := SignDelivery(k, validDelivery()); return s }

	cases := []struct {
		name string
		s    Signed
		now  time.Time
		want *Error
	}{
		{"valid at issue minus skew", good, t0.Add(-ClockSkew), nil},
		{"expired", good, t0.Add(5*time.Minute + ClockSkew), ErrExpired},
		{"not yet valid", good, t0.Add(-ClockSkew - time.Second), ErrNotYetValid},
		{"unknown kid", signedBy(rotated), t0, ErrUnknownKey},
		{"wrong key same kid", signedBy(other), t0, ErrBadSignature},
		{"tampered size", tamper(func(d map[string]any) { d["size"] = 1 }), t0, ErrBadSignature},
		{"tampered sha", tamper(func(d map[string]any) { d["sha256"] = hexOf('f') }), t0, ErrBadSignature},
		{"empty payload", Signed{Sig: good.Sig}, t0, ErrDeliveryMalformed},
		{"padded payload", Signed{Payload: good.Payload + "=", Sig: good.Sig}, t0, ErrDeliveryMalformed},
		{"no kid", Signed{Payload: good.Payload, Sig: strings.TrimPrefix(good.Sig, "local-1.")}, t0, ErrDeliveryMalformed},
		{"short sig", Signed{Payload: good.Payload, Sig: good.Sig[:len(good.Sig)-2]}, t0, ErrDeliveryMalformed},
		{"sig alphabet", Signed{Payload: good.Payload, Sig: good.Sig[:len(good.Sig)-1] + "+"}, t0, ErrDeliveryMalformed},
		{"flipped sig", Signed{Payload: good.Payload, Sig: flipLast(good.Sig)}, t0, ErrBadSignature},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := VerifyDelivery(trusted, tc.s, tc.now)
			if tc.want == nil {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			if !errors.Is(err, tc.want) {
				t.Fatalf("got %v, want %s", err, tc.want.Code)
			}
		})
	}
}

func flipLast(sig string) string {
	b := []byte(sig)
	if b[len(b)-2] == 'A' {
		b[len(b)-2] = 'B'
	} else {
		b[len(b)-2] = 'A'
	}
	return string(b)
}

// A correctly signed but invalid payload is still refused: the signer is not trusted to be bug-free.
func TestVerifyDeliveryValidatesSignedPayload(t *testing.T) {
	kr := LocalDevKeyring()
	for name, d := range map[string]Delivery{
		"traversal file": func() Delivery {
			d := validDelivery()
			d.Files = append(d.Files, File{Path: "../../.bashrc", SHA256: hexOf('1'), Size: 1})
			return d
		}(),
		"long lifetime": func() Delivery { d := validDelivery(); d.ExpiresAt = d.IssuedAt + 7200; return d }(),
		"zero size":     func() Delivery { d := validDelivery(); d.Size = 0; return d }(),
		"version 2":     func() Delivery { d := validDelivery(); d.V = 2; return d }(),
	} {
		t.Run(name, func(t *testing.T) {
			if _, err := SignDelivery(kr, d); !errors.Is(err, ErrDeliveryMalformed) {
				t.Fatalf("SignDelivery accepted: %v", err)
			}
			raw, _ := json.Marshal(d)
			s := Signed{Payload: base64.RawURLEncoding.EncodeToString(raw), Sig: kr.sign(deliveryDomain, raw)}
			if _, err := VerifyDelivery(kr.PublicKeys(), s, t0); !errors.Is(err, ErrDeliveryMalformed) {
				t.Fatalf("VerifyDelivery accepted: %v", err)
			}
		})
	}
}

func TestKeyringParsing(t *testing.T) {
	seedA := make([]byte, 32)
	seedB := make([]byte, 32)
	seedB[0] = 1
	env := "prod-2:" + base64.StdEncoding.EncodeToString(seedB) + ", prod-1:" + base64.RawURLEncoding.EncodeToString(seedA)
	kr, err := ParseSigningKeyring(env)
	if err != nil {
		t.Fatal(err)
	}
	if kr.ActiveKID() != "prod-2" {
		t.Fatalf("active kid %q, want the first entry", kr.ActiveKID())
	}
	pubs, err := ParsePublicKeys(FormatPublicKeys(kr.PublicKeys()))
	if err != nil {
		t.Fatal(err)
	}
	if len(pubs) != 2 || !pubs["prod-1"].Equal(kr.PublicKeys()["prod-1"]) {
		t.Fatalf("public keyring round trip: %v", pubs)
	}
	// Old key still verifies while it is trusted (rotation).
	old, _ := ParseSigningKeyring("prod-1:" + base64.StdEncoding.EncodeToString(seedA))
	s, _ := SignDelivery(old, validDelivery())
	if _, err := VerifyDelivery(pubs, s, t0); err != nil {
		t.Fatalf("rotated-out key no longer verifies: %v", err)
	}

	for _, bad := range []string{"", "nokey", "a:!!!", "a:" + base64.StdEncoding.EncodeToString(seedA[:31]),
		"bad kid:" + base64.StdEncoding.EncodeToString(seedA),
		"a:" + base64.StdEncoding.EncodeToString(seedA) + ",a:" + base64.StdEncoding.EncodeToString(seedB)} {
		if _, err := ParseSigningKeyring(bad); !errors.Is(err, ErrKeyring) {
			t.Errorf("signing keyring %q: got %v", bad, err)
		}
		if _, err := ParsePublicKeys(bad); !errors.Is(err, ErrKeyring) {
			t.Errorf("public keyring %q: got %v", bad, err)
		}
	}
}

func TestLocalDevKey(t *testing.T) {
	want := sha256.Sum256([]byte("octane-bridge local manifest key"))
	if hex.EncodeToString(LocalDevSeed()) != hex.EncodeToString(want[:]) {
		t.Fatal("local seed is not sha256 of the documented string")
	}
	kr, err := ParseSigningKeyring(LocalDevSigningKeys())
	if err != nil || kr.ActiveKID() != "local-1" {
		t.Fatalf("LocalDevSigningKeys does not parse: %v", err)
	}
	pubs, err := ParsePublicKeys(LocalDevPublicKeys())
	if err != nil || !pubs["local-1"].Equal(LocalDevKeyring().PublicKeys()["local-1"]) {
		t.Fatalf("LocalDevPublicKeys: %v", err)
	}
}

func TestManifestSignature(t *testing.T) {
	kr := LocalDevKeyring()
	mb, _ := validManifest().Marshal()
	sig, err := SignManifest(kr, mb)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := VerifyManifest(kr.PublicKeys(), mb, sig); err != nil {
		t.Fatal(err)
	}
	mb[len(mb)-2] = ' '
	if _, err := VerifyManifest(kr.PublicKeys(), mb, sig); !errors.Is(err, ErrBadSignature) {
		t.Fatalf("tampered manifest: %v", err)
	}
}

func FuzzVerifyDelivery(f *testing.F) {
	kr := LocalDevKeyring()
	good, _ := SignDelivery(kr, validDelivery())
	f.Add(good.Payload, good.Sig)
	f.Add("", "")
	f.Add("e30", "local-1."+strings.Repeat("A", 86))
	goodV2, _ := SignDelivery(kr, v2Delivery(f, "2k"))
	f.Add(goodV2.Payload, goodV2.Sig)
	trusted := kr.PublicKeys()
	f.Fuzz(func(t *testing.T, payload, sig string) {
		d, err := VerifyDelivery(trusted, Signed{Payload: payload, Sig: sig}, t0)
		if refused(t, err) {
			return
		}
		// Only the genuinely signed payloads may verify.
		if payload != good.Payload && payload != goodV2.Payload {
			t.Fatalf("forged payload verified: %+v", d)
		}
	})
}
