// Package b64url checks the unpadded base64url alphabet (RFC 4648 §5) that the edge's import
// tokens and the signed deliveries are written in, so that a malformed one is refused before
// anything decodes or verifies it.
package b64url

// Valid reports whether s is made only of base64url characters (A–Z a–z 0–9 - _; no padding).
// It does not decode: the callers bound the length first and decode strictly afterwards.
func Valid(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}
