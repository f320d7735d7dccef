package auth

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"

	"github.com/google/uuid"

	"github.com/octanebridge/octane-bridge/supabase/local/internal/claims"
)

// nilSessionID is what GoTrue compares the session_id claim with, as a string, to mean "no session".
const nilSessionID = "00000000-0000-0000-0000-000000000000"

// requireAuthentication is GoTrue's middleware of the same name (supabase/auth
// internal/api/auth.go: requireAuthentication → parseJWTClaims → maybeLoadUserOrSession, then the
// ban check), for every endpoint that requires authentication here (GET/PUT /user, POST /logout):
//
//   - no Bearer token: 401 no_authorization; a token that does not verify: 403 bad_jwt;
//   - sub empty: 403 bad_jwt; sub not a UUID: 400 bad_jwt; no such user: 403 user_not_found;
//   - session_id absent or the all-zero UUID: no session, the request proceeds;
//   - session_id not a UUID: 403 bad_jwt; a UUID that names no session: 403 session_not_found;
//   - a banned user: 403 user_banned.
//
// It returns the user and the session id (nil when the token carries none). Errors are *apiError
// or database errors.
func (s *Service) requireAuthentication(ctx context.Context, q querier, r *http.Request) (*user, *uuid.UUID, error) {
	c, ae := s.bearer(r)
	if ae != nil {
		return nil, nil, ae
	}
	// GoTrue decodes the claims into a struct of strings: a sub or session_id of another JSON type
	// fails the parse itself.
	for _, f := range []struct{ claim, field string }{{"sub", "RegisteredClaims.sub"}, {"session_id", "session_id"}} {
		if ae := stringClaim(c, f.claim, f.field); ae != nil {
			return nil, nil, ae
		}
	}
	if c.Sub() == "" {
		return nil, nil, errf(403, "bad_jwt", "invalid claim: missing sub claim")
	}
	id, ok := gotrueUUID(c.Sub())
	if !ok {
		return nil, nil, errf(400, "bad_jwt", "invalid claim: sub claim must be a UUID")
	}
	u, err := userByID(ctx, q, id)
	if err != nil {
		return nil, nil, err
	}
	if u == nil {
		return nil, nil, errf(403, "user_not_found", "User from sub claim in JWT does not exist")
	}
	var session *uuid.UUID
	if sid := c.String("session_id"); sid != "" && sid != nilSessionID {
		sessionID, ok := gotrueUUID(sid)
		if !ok {
			return nil, nil, errf(403, "bad_jwt", "invalid claim: session_id claim must be a UUID")
		}
		var exists bool
		if err := q.QueryRow(ctx, `select exists(select 1 from auth.sessions where id = $1)`, sessionID).Scan(&exists); err != nil {
			return nil, nil, err
		}
		if !exists {
			return nil, nil, errf(403, "session_not_found", "Session from session_id claim in JWT does not exist")
		}
		session = &sessionID
	}
	if u.banned(s.keys.Now()) {
		return nil, nil, errf(403, "user_banned", "User is banned")
	}
	return u, session, nil
}

// stringClaim refuses a claim that is present but not a JSON string (or null), as GoTrue's
// json.Unmarshal into its claims struct does.
func stringClaim(c claims.Claims, name, field string) *apiError {
	v, ok := c[name]
	if !ok || v == nil {
		return nil
	}
	var kind string
	switch v.(type) {
	case string:
		return nil
	case json.Number, float64:
		kind = "number"
	case bool:
		kind = "bool"
	case []any:
		kind = "array"
	default:
		kind = "object"
	}
	return errf(403, "bad_jwt", "invalid JWT: unable to parse or verify signature, token is malformed: could not JSON decode claim: "+
		"json: cannot unmarshal "+kind+" into Go struct field AccessTokenClaims."+field+" of type string")
}

// gotrueUUID parses a UUID the way GoTrue does (github.com/gofrs/uuid v4 FromString): canonical
// (36), hash-like (32 hex), braced canonical (38), and "urn:uuid:" + canonical or hash-like (45,
// 41), hex digits in either case.
func gotrueUUID(s string) (uuid.UUID, bool) {
	plain := func(p string) (uuid.UUID, bool) {
		if len(p) != 32 && len(p) != 36 {
			return uuid.UUID{}, false
		}
		u, err := uuid.Parse(p)
		return u, err == nil
	}
	switch len(s) {
	case 32, 36:
		return plain(s)
	case 38:
		if s[0] != '{' || s[37] != '}' {
			return uuid.UUID{}, false
		}
		return plain(s[1:37])
	case 41, 45:
		rest, ok := strings.CutPrefix(s, "urn:uuid:")
		if !ok {
			return uuid.UUID{}, false
		}
		return plain(rest)
	}
	return uuid.UUID{}, false
}
