package token

import (
	"encoding/json"
	"unicode/utf8"
)

// decodeClaims reads a payload whose MAC already matched. Mint writes it with encoding/json, so it
// is always the fields of Claims in order, as plain strings and integers; reading that shape
// directly is most of a verify's speed (encoding/json spends ~7 µs on reflection here). Anything
// else goes through encoding/json, so exactly the same payloads are accepted either way
// (FuzzDecodeClaimsAgreesWithJSON).
func decodeClaims(p []byte) (Claims, error) {
	if c, ok := mintedClaims(p); ok {
		return c, nil
	}
	var c Claims
	err := json.Unmarshal(p, &c)
	return c, err
}

// claimKeys are the keys in the order json.Marshal writes Claims, each with what precedes it.
var claimKeys = [...]string{`{"typ":`, `,"jti":`, `,"sub":`, `,"did":`, `,"sid":`, `,"ver":`, `,"sha":`,
	`,"aud":`, `,"iat":`, `,"nbf":`, `,"exp":`}

// mintedClaims parses exactly Mint's output shape; ok is false for anything else.
func mintedClaims(b []byte) (c Claims, ok bool) {
	strs := [...]*string{&c.Typ, &c.JTI, &c.Sub, &c.DID, &c.SID, &c.Ver, &c.SHA, &c.Aud}
	ints := [...]*int64{&c.IAT, &c.NBF, &c.EXP}
	all := string(b) // one copy; the claim strings are slices of it
	p := b
	for i, key := range claimKeys {
		if len(p) < len(key) || string(p[:len(key)]) != key {
			return Claims{}, false
		}
		p = p[len(key):]
		if i < len(strs) {
			var s []byte
			if s, p, ok = plainString(p); !ok {
				return Claims{}, false
			}
			start := len(b) - len(p) - len(s) - 1
			*strs[i] = all[start : start+len(s)]
		} else {
			var n int64
			if n, p, ok = plainInt(p); !ok {
				return Claims{}, false
			}
			*ints[i-len(strs)] = n
		}
	}
	return c, len(p) == 1 && p[0] == '}'
}

// plainString reads a JSON string with no escapes and no control characters, in valid UTF-8.
func plainString(p []byte) (s, rest []byte, ok bool) {
	if len(p) == 0 || p[0] != '"' {
		return nil, nil, false
	}
	for i := 1; i < len(p); i++ {
		switch c := p[i]; {
		case c == '"':
			s = p[1:i]
			return s, p[i+1:], utf8.Valid(s)
		case c == '\\' || c < 0x20:
			return nil, nil, false
		}
	}
	return nil, nil, false
}

// plainInt reads a non-negative JSON integer of at most 18 digits (no sign, no leading zero).
func plainInt(p []byte) (n int64, rest []byte, ok bool) {
	i := 0
	for i < len(p) && i < 19 && p[i] >= '0' && p[i] <= '9' {
		n = n*10 + int64(p[i]-'0')
		i++
	}
	if i == 0 || i > 18 || (p[0] == '0' && i > 1) {
		return 0, nil, false
	}
	return n, p[i:], true
}
