package b64url

import (
	"strings"
	"testing"
)

// rfc4648 is the URL and filename safe alphabet of RFC 4648 §5, table 2.
const rfc4648 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"

func TestValid(t *testing.T) {
	for s, want := range map[string]bool{
		"":                         true, // the callers refuse an empty value by its length
		rfc4648:                    true,
		"QN2coReBSxzBANSdzjaLAjkS": true,
		"ab=":                      false, // padding is not part of the unpadded alphabet
		"a+b":                      false, // standard base64, not base64url
		"a/b":                      false,
		"a.b":                      false, // the separator of tokens and signatures
		"a b":                      false,
		"é":                        false,
		"a\x00":                    false,
	} {
		if got := Valid(s); got != want {
			t.Errorf("Valid(%q) = %v, want %v", s, got, want)
		}
	}
	// Every byte: exactly the 64 characters of the alphabet.
	for b := 0; b < 256; b++ {
		want := strings.IndexByte(rfc4648, byte(b)) >= 0
		if got := Valid(string([]byte{byte(b)})); got != want {
			t.Errorf("Valid(%#x) = %v, want %v", b, got, want)
		}
	}
}
