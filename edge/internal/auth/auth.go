// Package auth verifies the credentials the edge accepts — Supabase user JWTs (HS256 with the
// project secret, or asymmetric keys from the project's JWKS), the device JWTs the edge mints
// itself, and API keys (looked up by the caller) — and turns them into a Principal.
package auth

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/google/uuid"
)

// Kind says which credential authenticated a request.
type Kind int

const (
	None   Kind = iota
	User        // a Supabase session JWT (the web site)
	Device      // a device JWT minted by POST /v1/auth/token
	Key         // an API key (personal or device)
)

// Scopes.
const (
	ScopeCatalogRead    = "catalog:read"
	ScopeImportsCreate  = "imports:create"
	ScopeImportsRead    = "imports:read"
	ScopeImportsReceive = "imports:receive"
	ScopeImportsReport  = "imports:report"
	ScopeImportsDevice  = "imports:device" // device only: Blender asks for a switch or an update
	ScopeDevicesRead    = "devices:read"
	ScopeDevicesManage  = "devices:manage"
	ScopeKeysManage     = "api_keys:manage"
	ScopeBillingManage  = "billing:manage"
	ScopeSettingsRead   = "settings:read"
	ScopeSettingsWrite  = "settings:write"
	ScopeWebhooksWrite  = "webhooks:write"
	ScopeUploadsWrite   = "uploads:write"   // operator only
	ScopeCatalogPublish = "catalog:publish" // operator only
)

// UserScopes are what a signed-in web session may do; an operator's session also gets
// OperatorScopes, which only the database grants (public.operators), never a token's claims.
var userScopes = []string{ScopeCatalogRead, ScopeImportsCreate, ScopeImportsRead, ScopeDevicesRead, ScopeDevicesManage,
	ScopeSettingsRead, ScopeSettingsWrite,
	ScopeKeysManage, ScopeBillingManage, ScopeWebhooksWrite}

// OperatorScopes are the library operator's: publishing into the catalog. The router adds them to
// a web session whose user is in public.operators; no API key or device credential holds them.
func OperatorScopes() []string { return []string{ScopeUploadsWrite, ScopeCatalogPublish} }

// IsOperatorScope says whether scope is one only an operator's session holds.
func IsOperatorScope(scope string) bool { return slices.Contains(OperatorScopes(), scope) }

// DeviceScopes are the scopes of device keys and device JWTs.
func DeviceScopes() []string {
	return []string{ScopeImportsReceive, ScopeImportsReport, ScopeImportsDevice}
}

// PersonalScopes are the scopes a personal key may be given.
func PersonalScopes() []string {
	return []string{ScopeCatalogRead, ScopeImportsCreate, ScopeImportsRead, ScopeDevicesRead,
		ScopeSettingsRead, ScopeSettingsWrite, ScopeWebhooksWrite}
}

// Principal is the authenticated caller.
type Principal struct {
	Kind     Kind
	UserID   uuid.UUID
	DeviceID uuid.UUID // zero unless a device credential
	KeyID    string    // API keys only
	Platform string    // rate-limit tier: the key's registered platform, "web" for sessions
	Scopes   []string
}

// Has reports whether the principal holds scope.
func (p Principal) Has(scope string) bool { return slices.Contains(p.Scopes, scope) }

// ErrInvalid is any credential that does not verify; the API answers AUTH_FAILED.
var ErrInvalid = errors.New("auth: invalid credential")

// Claims of Supabase session JWTs and of the edge's device JWTs.
type Claims struct {
	jwt.RegisteredClaims
	Role      string   `json:"role"`
	SessionID string   `json:"session_id,omitempty"`
	DeviceID  string   `json:"device_id,omitempty"`
	Scopes    []string `json:"scopes,omitempty"`
	Platform  string   `json:"platform,omitempty"`
}

// DeviceSessionID is the session_id claim of every device JWT: a valid UUID that can never name
// a GoTrue session, so GoTrue refuses the token on every endpoint that requires authentication
// (403 session_not_found: /user GET and PUT, /logout, /reauthenticate, /factors, …) while
// PostgREST and Realtime, which ignore session_id, accept it. GoTrue creates sessions only with
// random version-4 UUIDs (models.NewSession); this one is the name-based version-5 UUID
// uuid.NewSHA1(uuid.NameSpaceURL, "urn:octane-bridge:device-jwt:no-session"), and it is not the
// all-zero UUID GoTrue treats as "no session". See docs/decisions.md.
const DeviceSessionID = "8ce1c02e-266d-5953-a595-ba0af84fdb00"

// JWTs verifies session JWTs and mints and verifies device JWTs.
type JWTs struct {
	secret   []byte
	issuer   string // iss of device JWTs (the edge's URL)
	jwks     *JWKS  // nil: HS256 only
	ttl      time.Duration
	verified verifiedTokens
}

// NewJWTs builds the verifier. jwks may be nil.
func NewJWTs(secret []byte, issuer string, jwks *JWKS, deviceTTL time.Duration) (*JWTs, error) {
	if len(secret) < 32 {
		return nil, errors.New("auth: SUPABASE_JWT_SECRET must be at least 32 bytes")
	}
	if deviceTTL <= 0 {
		deviceTTL = 10 * time.Minute
	}
	return &JWTs{secret: secret, issuer: issuer, jwks: jwks, ttl: deviceTTL}, nil
}

// DeviceTTL is the lifetime of minted device JWTs.
func (j *JWTs) DeviceTTL() time.Duration { return j.ttl }

func (j *JWTs) key(t *jwt.Token) (any, error) {
	if t.Method.Alg() == jwt.SigningMethodHS256.Alg() {
		return j.secret, nil
	}
	if j.jwks == nil {
		return nil, fmt.Errorf("auth: %s without a JWKS", t.Method.Alg())
	}
	kid, _ := t.Header["kid"].(string)
	return j.jwks.Key(kid)
}

// Verify checks a bearer JWT and returns its principal: a device JWT when it carries device_id and
// was issued by this edge, a user session otherwise.
func (j *JWTs) Verify(raw string, now time.Time) (Principal, error) {
	if p, ok := j.verified.get(raw, now); ok {
		return p, nil
	}
	p, tok, c, err := j.parse(raw, now)
	if err == nil && tok.Method.Alg() == jwt.SigningMethodHS256.Alg() && c.ExpiresAt != nil {
		from := time.Time{}
		if c.NotBefore != nil {
			from = c.NotBefore.Add(-verifyLeeway)
		}
		j.verified.put(raw, p, from, c.ExpiresAt.Add(verifyLeeway))
	}
	return p, err
}

// maxVerified bounds the memory of verified tokens; full, it starts again.
const maxVerified = 8192

// verifiedTokens remembers HS256 JWTs that verified, with their principal, for as long as Verify
// would accept them (nbf to exp, with the leeway). A session presents the same token on every
// request, and verifying parses it twice (golang-jwt, then exactClaims): about a tenth of the
// edge's CPU for an import minted (docs/latency.md). Only HS256, whose key is the fixed secret: a
// JWKS key can be withdrawn, and that must stop its tokens at once. Only a token whose signature
// verified gets in, so a flood of forged tokens cannot fill it.
type verifiedTokens struct {
	mu sync.Mutex
	m  map[string]verifiedToken
}

type verifiedToken struct {
	p         Principal
	from, end time.Time
}

func (v *verifiedTokens) get(raw string, now time.Time) (Principal, bool) {
	v.mu.Lock()
	e, ok := v.m[raw]
	v.mu.Unlock()
	if !ok || now.Before(e.from) || !now.Before(e.end) {
		return Principal{}, false
	}
	e.p.Scopes = slices.Clone(e.p.Scopes) // callers may change theirs
	return e.p, true
}

func (v *verifiedTokens) put(raw string, p Principal, from, end time.Time) {
	v.mu.Lock()
	defer v.mu.Unlock()
	if v.m == nil || len(v.m) >= maxVerified {
		v.m = make(map[string]verifiedToken)
	}
	p.Scopes = slices.Clone(p.Scopes)
	v.m[raw] = verifiedToken{p: p, from: from, end: end}
}

// verifyLeeway is the clock skew Verify allows on exp and nbf.
const verifyLeeway = 5 * time.Second

// parse is Verify without the memory of verified tokens: the principal, the token (its
// algorithm) and its claims.
func (j *JWTs) parse(raw string, now time.Time) (Principal, *jwt.Token, Claims, error) {
	var c Claims
	tok, err := jwt.ParseWithClaims(raw, &c, j.key,
		jwt.WithValidMethods([]string{"HS256", "ES256", "RS256"}),
		jwt.WithAudience("authenticated"),
		jwt.WithExpirationRequired(),
		jwt.WithTimeFunc(func() time.Time { return now }),
		jwt.WithLeeway(verifyLeeway),
	)
	if err != nil {
		return Principal{}, nil, c, fmt.Errorf("%w: %v", ErrInvalid, err)
	}
	if err := exactClaims(raw); err != nil {
		return Principal{}, nil, c, fmt.Errorf("%w: %v", ErrInvalid, err)
	}
	if c.Role != "authenticated" {
		return Principal{}, nil, c, fmt.Errorf("%w: role %q", ErrInvalid, c.Role)
	}
	user, err := parseUUID(c.Subject)
	if err != nil {
		return Principal{}, nil, c, fmt.Errorf("%w: sub", ErrInvalid)
	}
	if c.DeviceID == "" {
		return Principal{Kind: User, UserID: user, Platform: "web", Scopes: slices.Clone(userScopes)}, tok, c, nil
	}
	// Only the edge mints device JWTs, with HS256, its own issuer and the no-session marker (a
	// device JWT without it would be a user session at GoTrue).
	dev, err := parseUUID(c.DeviceID)
	if err != nil || c.Issuer != j.issuer || c.SessionID != DeviceSessionID {
		return Principal{}, nil, c, fmt.Errorf("%w: device claims", ErrInvalid)
	}
	scopes := slices.DeleteFunc(slices.Clone(c.Scopes), func(s string) bool { return !slices.Contains(DeviceScopes(), s) })
	return Principal{Kind: Device, UserID: user, DeviceID: dev, Platform: c.Platform, Scopes: scopes}, tok, c, nil
}

// parseUUID reads the canonical 36-character form only: uuid.Parse also takes 38 characters and
// drops the first and last whatever they are ("0<uuid>0"), which PostgreSQL's uuid input refuses
// (found by FuzzVerifyClaims).
func parseUUID(s string) (uuid.UUID, error) {
	if len(s) != 36 {
		return uuid.Nil, errors.New("not a canonical UUID")
	}
	return uuid.Parse(s)
}

// claimNames are the claims Verify reads. encoding/json matches them case-insensitively and
// golang-jwt reads a quoted exp as a number; PostgREST and Realtime do neither. A token with
// "Role" beside "role", or "DEVICE_ID" beside "device_id", would be one principal here and
// another there, so such tokens are refused (found by FuzzVerifyClaims).
var claimNames = []string{"sub", "aud", "exp", "nbf", "iat", "iss", "jti", "role", "session_id", "device_id", "scopes", "platform"}

// exactClaims checks the signed payload of raw (already verified) for claims spelled in
// another case and for an exp that is not a JSON number.
func exactClaims(raw string) error {
	parts := strings.Split(raw, ".")
	if len(parts) != 3 {
		return errors.New("token segments")
	}
	b, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		return err
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(b, &m); err != nil {
		return err
	}
	for k := range m {
		for _, n := range claimNames {
			if k != n && strings.EqualFold(k, n) {
				return fmt.Errorf("claim %q is spelled like %q", k, n)
			}
		}
	}
	if e := m["exp"]; len(e) == 0 || (e[0] != '-' && (e[0] < '0' || e[0] > '9')) {
		return errors.New("exp is not a number")
	}
	return nil
}

// MintDevice signs a Supabase-compatible device JWT (RLS reads sub and device_id). Its session_id
// is DeviceSessionID: GoTrue answers 403 session_not_found to it.
func (j *JWTs) MintDevice(user, device uuid.UUID, platform string, now time.Time) (string, time.Time, error) {
	exp := now.Add(j.ttl).Truncate(time.Second)
	c := Claims{
		RegisteredClaims: jwt.RegisteredClaims{
			Subject: user.String(), Audience: jwt.ClaimStrings{"authenticated"}, Issuer: j.issuer,
			IssuedAt: jwt.NewNumericDate(now), ExpiresAt: jwt.NewNumericDate(exp), ID: uuid.NewString(),
		},
		Role: "authenticated", SessionID: DeviceSessionID, DeviceID: device.String(), Scopes: DeviceScopes(), Platform: platform,
	}
	s, err := jwt.NewWithClaims(jwt.SigningMethodHS256, c).SignedString(j.secret)
	return s, exp, err
}
