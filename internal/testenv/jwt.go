package testenv

import (
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/google/uuid"
)

// SignHS256 signs claims with secret, as the local GoTrue signs sessions and the stand-in its
// anon and service-role keys.
func SignHS256(t testing.TB, secret string, claims jwt.MapClaims) string {
	t.Helper()
	s, err := jwt.NewWithClaims(jwt.SigningMethodHS256, claims).SignedString([]byte(secret))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// SessionJWT is a web session of user as the local GoTrue signs it with secret (an hour long).
func SessionJWT(t testing.TB, secret, user string) string {
	t.Helper()
	now := time.Now()
	return SignHS256(t, secret, jwt.MapClaims{
		"sub": user, "aud": "authenticated", "role": "authenticated", "iss": "http://127.0.0.1:54321/auth/v1",
		"iat": now.Unix(), "exp": now.Add(time.Hour).Unix(), "email": "x@octane.local", "session_id": uuid.NewString(),
	})
}
