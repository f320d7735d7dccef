package devices

import (
	"regexp"
	"strings"
	"testing"
	"unicode/utf8"
)

var reUserCode = regexp.MustCompile(`^[` + userCodeLetter + `]{4}-[` + userCodeLetter + `]{4}$`)

// FuzzNormalizeUserCode: the normalisation of a typed pairing code is idempotent, keeps valid
// UTF-8 valid (PostgreSQL refuses anything else with an internal error), stays short, and maps
// every way of typing a real code (case, spaces, with or without the dash) to that code.
func FuzzNormalizeUserCode(f *testing.F) {
	for _, s := range []string{"BCDF-GHJK", "bcdfghjk", " bcdf ghjk ", "b c d f - g h j k", "BCDF\tGHJK", "abcé" + "xyz", "ééééé",
		"ſſſſſſſſ", "\u00a0BCDF-GHJK\u00a0", "BCDFGHJKL", "", "-", "--------", "\xff\xfe\xfd\xfc\xfb\xfa\xf9\xf8", "日本語のコ"} {
		f.Add(s, uint64(0x0123456789abcdef))
	}
	f.Fuzz(func(t *testing.T, s string, pick uint64) {
		n := normalizeUserCode(s)
		if utf8.ValidString(s) && !utf8.ValidString(n) {
			t.Fatalf("%q normalised to invalid UTF-8 %q", s, n)
		}
		if again := normalizeUserCode(n); again != n {
			t.Fatalf("not idempotent: %q -> %q -> %q", s, n, again)
		}
		if len(n) > 3*len(s)+1 {
			t.Fatalf("%q grew to %d bytes", s, len(n))
		}
		// A real code, typed in one of the ways people type it.
		var code [8]byte
		for i := range code {
			code[i] = userCodeLetter[(pick>>(i*8))%uint64(len(userCodeLetter))]
		}
		want := string(code[:4]) + "-" + string(code[4:])
		typed := []string{want, strings.ToLower(want), string(code[:]), " " + strings.ToLower(string(code[:4])) + " " + string(code[4:]) + " ",
			strings.Join(strings.Split(want, ""), " ")}
		for _, ty := range typed {
			if got := normalizeUserCode(ty); got != want || !reUserCode.MatchString(got) {
				t.Fatalf("%q normalised to %q, want %q", ty, got, want)
			}
		}
	})
}
