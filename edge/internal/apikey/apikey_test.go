package apikey

import (
	"strings"
	"testing"
)

func TestNewParse(t *testing.T) {
	s, k := New()
	if len(s) != Len || !strings.HasPrefix(s, "oct_live_") {
		t.Fatalf("key %q", s)
	}
	got, err := Parse(s)
	if err != nil || got != k {
		t.Fatalf("Parse = %+v, %v; want %+v", got, err, k)
	}
	pepper := []byte("pepper-pepper-pepper-pepper-1234")
	h := Hash(pepper, k.Secret)
	if !Matches(pepper, k.Secret, h) || Matches(pepper, k.Secret+"x", h) || Matches([]byte("other"), k.Secret, h) {
		t.Fatal("Matches")
	}
	if strings.Contains(Masked(k.ID), k.Secret) {
		t.Fatal("masked key shows the secret")
	}
}

func TestParseRejects(t *testing.T) {
	s, _ := New()
	typo := []byte(s)
	typo[30] ^= 1
	for name, in := range map[string]string{
		"empty": "", "short": s[:len(s)-1], "long": s + "A", "typo caught by crc": string(typo),
		"test prefix": "oct_test_" + s[9:], "bad separator": s[:25] + "-" + s[26:], "uppercase id": s[:9] + strings.ToUpper(s[9:25]) + s[25:],
	} {
		if name == "uppercase id" && strings.ToUpper(s[9:25]) == s[9:25] {
			continue // all-digit id
		}
		if _, err := Parse(in); err != ErrMalformed {
			t.Errorf("%s: Parse(%q) = %v", name, in, err)
		}
	}
}

func FuzzParse(f *testing.F) {
	s, _ := New()
	f.Add(s)
	f.Add("oct_live_")
	f.Fuzz(func(t *testing.T, in string) {
		k, err := Parse(in)
		if err == nil && Prefix+k.ID+"_"+k.Secret+in[len(in)-crcLen:] != in {
			t.Fatalf("parsed %q into %+v", in, k)
		}
	})
}
