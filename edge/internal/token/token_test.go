package token

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"runtime"
	"strings"
	"testing"
	"time"
)

const k1 = "k1:QN2coReBSxzBANSdzjaLAjkSr7A39nVFb2aHmtMBRMk="
const k2 = "k2:SsbA9fgZNigpm2FmFuYqFZTkcAl57jhfoxXvX4zhHdY="

func ring(t testing.TB, s string) *Keyring {
	t.Helper()
	kr, err := ParseKeyring(s)
	if err != nil {
		t.Fatal(err)
	}
	return kr
}

func claims() Claims {
	return Claims{JTI: "0b8f2c9e-1f7a-4a7e-9a55-3d1d7c9d6f10", Sub: "11111111-1111-4111-8111-111111111111",
		DID: "33333333-3333-4333-8333-333333333333", SID: "44444444-4444-4444-8444-444444444444", Ver: "1.0.0",
		SHA: strings.Repeat("ab", 32)}
}

func TestMintVerifyRoundTrip(t *testing.T) {
	kr := ring(t, k1)
	now := time.Unix(1_800_000_000, 0)
	tok, c, err := kr.Mint(claims(), now)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(tok, "oit1.k1.") {
		t.Fatalf("token %q lacks the prefix", tok)
	}
	got, err := kr.Verify(tok, now.Add(119*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	if got != c || got.EXP-got.IAT != 120 {
		t.Fatalf("claims %+v, want %+v", got, c)
	}
}

// resign builds a token with arbitrary claims under a key, as a holder of the key could.
func resign(kr *Keyring, kid string, payload []byte) string {
	signed := prefix + kid + "." + base64.RawURLEncoding.EncodeToString(payload)
	return signed + "." + base64.RawURLEncoding.EncodeToString(kr.keys[kid].sum(nil, signed))
}

// The MAC is exactly the specified one, HMAC-SHA256(key, domain || "oit1.<kid>.<payload>"),
// computed independently here, also when the keyed states are reused from the pool.
func TestMACIsTheSpecifiedOne(t *testing.T) {
	kr := ring(t, k1)
	key, _ := base64.StdEncoding.DecodeString(strings.TrimPrefix(k1, "k1:"))
	for i := range 20 {
		c := claims()
		c.JTI = strings.Repeat("x", i)
		tok, _, err := kr.Mint(c, time.Unix(1_800_000_000+int64(i), 0))
		if err != nil {
			t.Fatal(err)
		}
		dot := strings.LastIndexByte(tok, '.')
		m := hmac.New(sha256.New, key)
		m.Write([]byte("octane-bridge/import-token/v1\x00" + tok[:dot]))
		if want := base64.RawURLEncoding.EncodeToString(m.Sum(nil)); tok[dot+1:] != want {
			t.Fatalf("token %d: mac %s, want %s", i, tok[dot+1:], want)
		}
	}
}

func TestVerifyRejects(t *testing.T) {
	kr := ring(t, k1)
	other := ring(t, "k1:"+base64.StdEncoding.EncodeToString([]byte(strings.Repeat("x", 32))))
	now := time.Unix(1_800_000_000, 0)
	good, _, _ := kr.Mint(claims(), now)
	forged, _, _ := other.Mint(claims(), now)
	unknown, _, _ := ring(t, k2).Mint(claims(), now)
	flip := []byte(good)
	flip[len(prefix)+5] ^= 1
	macFlip := []byte(good)
	macFlip[len(macFlip)-3] ^= 2
	wrongType := claims()
	wrongTypeJSON, _ := json.Marshal(struct {
		Claims
		Typ string `json:"typ"`
	}{wrongType, "session"})
	future := claims()
	future.Typ, future.Aud, future.IAT, future.NBF, future.EXP = Type, Audience, now.Unix()+60, now.Unix()+60, now.Unix()+120
	futureJSON, _ := json.Marshal(future)
	long := claims()
	long.Typ, long.Aud, long.IAT, long.NBF, long.EXP = Type, Audience, now.Unix(), now.Unix(), now.Unix()+3600
	longJSON, _ := json.Marshal(long)
	cases := []struct {
		name string
		tok  string
		at   time.Time
		want error
	}{
		{"forged with another key", forged, now, ErrBadMAC},
		{"payload bit flipped", string(flip), now, ErrBadMAC},
		{"mac bit flipped", string(macFlip), now, ErrBadMAC},
		{"expired", good, now.Add(120 * time.Second), ErrExpired},
		{"unknown kid", unknown, now, ErrUnknownKID},
		{"wrong type", resign(kr, "k1", wrongTypeJSON), now, ErrWrongType},
		{"not yet valid", resign(kr, "k1", futureJSON), now, ErrNotYetValid},
		{"lifetime beyond TTL", resign(kr, "k1", longJSON), now, ErrExpired},
		{"empty", "", now, ErrMalformed},
		{"other version", "oit2" + good[4:], now, ErrMalformed},
		{"padding in mac", good[:len(good)-1] + "=", now, ErrMalformed},
		{"too long", good + strings.Repeat("A", MaxLen), now, ErrMalformed},
		{"kid with dots", "oit1.k..1." + good[8:], now, ErrMalformed},
		{"uppercase kid", "oit1.K1." + good[8:], now, ErrMalformed},
		{"only dots", strings.Repeat(".", 900), now, ErrMalformed},
		{"json garbage under a valid mac", resign(kr, "k1", []byte("{not json")), now, ErrMalformed},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := kr.Verify(tc.tok, tc.at); !errors.Is(err, tc.want) {
				t.Fatalf("Verify = %v, want %v", err, tc.want)
			}
		})
	}
}

func TestRotation(t *testing.T) {
	old := ring(t, k1)
	rotated := ring(t, k2+","+k1)
	now := time.Unix(1_800_000_000, 0)
	tok, _, _ := old.Mint(claims(), now)
	if _, err := rotated.Verify(tok, now); err != nil {
		t.Fatalf("a token of the previous key must verify after rotation: %v", err)
	}
	newTok, _, _ := rotated.Mint(claims(), now)
	if !strings.HasPrefix(newTok, "oit1.k2.") {
		t.Fatalf("rotated ring must sign with its first key: %q", newTok)
	}
	if _, err := old.Verify(newTok, now); !errors.Is(err, ErrUnknownKID) {
		t.Fatalf("old ring verifying a new token: %v", err)
	}
}

func TestParseKeyringRejects(t *testing.T) {
	for _, s := range []string{"", "k1", "k1:c2hvcnQ=", "K1:" + strings.Repeat("A", 44), k1 + "," + k1, "a.b:" + k1[3:]} {
		if _, err := ParseKeyring(s); err == nil {
			t.Errorf("ParseKeyring(%q) accepted", s)
		}
	}
}

func TestHash(t *testing.T) {
	if h := Hash("x"); len(h) != 64 || h != Hash("x") || h == Hash("y") {
		t.Fatalf("Hash: %q", h)
	}
}

// allocBytes is the average number of heap bytes f allocates per call.
func allocBytes(f func()) uint64 {
	const runs = 10
	f() // warm pools and caches
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	for range runs {
		f()
	}
	runtime.ReadMemStats(&after)
	return (after.TotalAlloc - before.TotalAlloc) / runs
}

// maxVerifyAlloc bounds what one Verify may allocate, whatever the input's length: inputs over
// MaxLen are refused before any work, and a payload is decoded only under a valid MAC, so the
// worst case is encoding/json on ≤ 768 bytes (deep nesting: about 16 KiB of parser state).
const maxVerifyAlloc = 32 * MaxLen

func FuzzVerify(f *testing.F) {
	kr := ring(f, k1)
	now := time.Unix(1_800_000_000, 0)
	good, _, _ := kr.Mint(claims(), now)
	f.Add(good)
	f.Add("oit1.k1..")
	f.Add(strings.Repeat(".", 5000))
	f.Add("oit1.k1." + strings.Repeat("A", 2000) + "." + strings.Repeat("A", 43))
	f.Add(resign(kr, "k1", []byte(`{"jti":"`+strings.Repeat("\\u0041", 100)+`"}`)))
	f.Add(resign(kr, "k1", []byte(strings.Repeat("[", 700))))
	f.Fuzz(func(t *testing.T, s string) {
		c, err := kr.Verify(s, now)
		if err == nil {
			// Only tokens minted with this keyring verify: re-minting the claims gives the same token.
			again, _, _ := kr.Mint(c, now)
			if again != s && c.IAT == now.Unix() {
				t.Fatalf("accepted a token the keyring did not mint: %q", s)
			}
		}
		// Bounded work: anything over MaxLen is rejected before it is decoded.
		if len(s) > MaxLen && err != ErrMalformed {
			t.Fatalf("long input not rejected as malformed: %v", err)
		}
		// Bounded allocation: hostile input never makes Verify allocate more than a real token does.
		if n := allocBytes(func() { _, _ = kr.Verify(s, now) }); n > maxVerifyAlloc {
			t.Fatalf("Verify allocated %d bytes for a %d-byte input", n, len(s))
		}
	})
}

func TestVerifyAllocationBounded(t *testing.T) {
	kr := ring(t, k1)
	now := time.Unix(1_800_000_000, 0)
	hostile := strings.Repeat(".", 1<<20)
	allocs := testing.AllocsPerRun(100, func() { _, _ = kr.Verify(hostile, now) })
	if allocs > 0 {
		t.Fatalf("hostile input allocated %v times", allocs)
	}
	// Under a valid MAC (a key holder's worst case) the payload is decoded; still bounded by MaxLen.
	big := resign(kr, "k1", []byte(`{"jti":"`+strings.Repeat("A", 700)+`"}`))
	nested := resign(kr, "k1", []byte(strings.Repeat("[", 700)))
	for name, tok := range map[string]string{"1 MiB of dots": hostile, "1 MiB under a valid prefix": "oit1.k1." + strings.Repeat("A", 1<<20),
		"largest payload": big, "deep nesting": nested} {
		if n := allocBytes(func() { _, _ = kr.Verify(tok, now) }); n > maxVerifyAlloc {
			t.Errorf("%s: %d bytes allocated", name, n)
		}
	}
}

func BenchmarkMint(b *testing.B) {
	kr := ring(b, k1)
	now := time.Now()
	c := claims()
	b.ReportAllocs()
	for b.Loop() {
		if _, _, err := kr.Mint(c, now); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkRejectForged is the cost of refusing a well-formed token whose MAC is wrong: the
// work a flood of forgeries causes (nothing is decoded before the MAC matches).
func BenchmarkRejectForged(b *testing.B) {
	kr := ring(b, k1)
	now := time.Now()
	tok, _, _ := ring(b, k2).Mint(claims(), now)
	tok = "oit1.k1." + tok[len("oit1.k2."):]
	b.ReportAllocs()
	for b.Loop() {
		if _, err := kr.Verify(tok, now); !errors.Is(err, ErrBadMAC) {
			b.Fatal(err)
		}
	}
}

func BenchmarkVerify(b *testing.B) {
	kr := ring(b, k1)
	now := time.Now()
	tok, _, _ := kr.Mint(claims(), now)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := kr.Verify(tok, now); err != nil {
			b.Fatal(err)
		}
	}
}

// The fast path for Mint's own payloads accepts nothing encoding/json would read differently.
func FuzzDecodeClaimsAgreesWithJSON(f *testing.F) {
	minted, _ := json.Marshal(claims())
	f.Add(minted)
	f.Add([]byte(`{"typ":"import","jti":"a\u0041","sub":"","did":"","sid":"","ver":"","sha":"","aud":"","iat":1,"nbf":01,"exp":3}`))
	f.Add([]byte(`{"typ":"import","jti":"x","sub":"","did":"","sid":"","ver":"","sha":"","aud":"","iat":1,"nbf":2,"exp":3,"exp":4}`))
	f.Add([]byte(`{"typ":"\xff","jti":"","sub":"","did":"","sid":"","ver":"","sha":"","aud":"","iat":999999999999999999,"nbf":0,"exp":0}`))
	f.Fuzz(func(t *testing.T, p []byte) {
		fast, ok := mintedClaims(p)
		if !ok {
			return
		}
		var std Claims
		if err := json.Unmarshal(p, &std); err != nil || std != fast {
			t.Fatalf("fast path read %+v, encoding/json %+v (%v) from %q", fast, std, err, p)
		}
	})
}

func TestMintedPayloadsTakeTheFastPath(t *testing.T) {
	p, _ := json.Marshal(claims())
	if c, ok := mintedClaims(p); !ok || c != claims() {
		t.Fatalf("Mint's payload missed the fast path: %v %+v", ok, c)
	}
}
