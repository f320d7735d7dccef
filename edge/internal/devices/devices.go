// Package devices pairs Blenders with accounts and keeps them: the RFC 8628 device authorization
// grant (a pairing code the bridge shows, the user reviews and approves or denies on the web
// site, and the bridge exchanges for a device API key), and the user's list of devices (rename,
// revoke with their keys). State lives in public.device_grants, devices and api_keys.
package devices

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/octanebridge/octane-bridge/edge/internal/apikey"
	"github.com/octanebridge/octane-bridge/edge/internal/auth"
	"github.com/octanebridge/octane-bridge/edge/internal/postgres"
	"github.com/octanebridge/octane-bridge/internal/apierror"
)

const (
	// GrantTTL is how long a pairing code lives.
	GrantTTL = 10 * time.Minute
	// PollInterval is the bridge's polling interval in seconds (RFC 8628's default).
	PollInterval   = 5
	userCodeLetter = "BCDFGHJKLMNPQRSTVWXZ" // no vowels: no words; no look-alikes
)

var platforms = []string{"blender", "rhino", "sketchup", "revit", "autocad", "archicad"}

// Service pairs and manages devices. It is safe for concurrent use.
type Service struct {
	db     *pgxpool.Pool
	pepper []byte
}

// New keeps devices in db; pepper (API_KEY_PEPPER) hashes device keys and pairing origins.
func New(db *pgxpool.Pool, pepper []byte) *Service { return &Service{db: db, pepper: pepper} }

func sha256hex(s string) string { h := sha256.Sum256([]byte(s)); return hex.EncodeToString(h[:]) }

func userCode() string {
	b := make([]byte, 8)
	_, _ = rand.Read(b)
	var sb strings.Builder
	for i, x := range b {
		if i == 4 {
			sb.WriteByte('-')
		}
		sb.WriteByte(userCodeLetter[int(x)%len(userCodeLetter)])
	}
	return sb.String()
}

func clip(s string, n int) string {
	s = strings.TrimSpace(s)
	if len(s) > n {
		return s[:n]
	}
	return s
}

// AuthorizeRequest is the body of POST /v1/devices/authorize.
type AuthorizeRequest struct {
	Platform        string `json:"platform"`
	PlatformVersion string `json:"platform_version"`
	AddonVersion    string `json:"addon_version"`
	BridgeVersion   string `json:"bridge_version"`
	OS              string `json:"os"`
	Name            string `json:"name"`
}

// Grant is a started pairing: the device code stays with the bridge, the user code is shown.
type Grant struct {
	DeviceCode, UserCode string
}

// Authorize starts an RFC 8628 device authorization grant from clientIP.
func (s *Service) Authorize(ctx context.Context, in AuthorizeRequest, clientIP string) (Grant, error) {
	if in.Platform == "" {
		return Grant{}, apierror.New(apierror.MissingRequiredField, "platform is required")
	}
	if !slices.Contains(platforms, in.Platform) {
		return Grant{}, apierror.New(apierror.InvalidInput, "platform must be one of "+strings.Join(platforms, ", "))
	}
	name := clip(in.Name, 80)
	if name == "" {
		name = "Blender"
		if in.OS != "" {
			name += " on " + clip(in.OS, 60)
		}
	}
	raw := make([]byte, 32)
	_, _ = rand.Read(raw)
	deviceCode := base64.RawURLEncoding.EncodeToString(raw)
	var code string
	for range 5 { // user codes are unique; retry the rare collision
		code = userCode()
		_, err := s.db.Exec(ctx, `insert into public.device_grants
			(device_code_hash, user_code, platform, platform_version, addon_version, bridge_version, os, name, interval_s, expires_at, origin_hash)
			values ($1, $2, $3, $4, $5, $6, $7, $8, $9, now() + $10::interval, $11)`,
			sha256hex(deviceCode), code, in.Platform, clip(in.PlatformVersion, 40), clip(in.AddonVersion, 40),
			clip(in.BridgeVersion, 40), clip(in.OS, 80), name, PollInterval, GrantTTL, s.originHash(clientIP))
		if err == nil {
			break
		}
		if !strings.Contains(err.Error(), "23505") {
			return Grant{}, postgres.Error(err, "grant")
		}
		code = ""
	}
	if code == "" {
		return Grant{}, apierror.New(apierror.ServiceUnavailable, "try again shortly")
	}
	return Grant{DeviceCode: deviceCode, UserCode: code}, nil
}

// TokenRequest is the body of POST /v1/devices/token (the bridge's poll).
type TokenRequest struct {
	DeviceCode string `json:"device_code"`
	GrantType  string `json:"grant_type"`
}

// GrantError is an RFC 8628 token error (authorization_pending, slow_down, access_denied,
// expired_token, invalid_grant, invalid_request, unsupported_grant_type), answered in the RFC's
// shape rather than the API's.
type GrantError string

func (e GrantError) Error() string { return string(e) }

// Paired is the answer to an approved grant: the device's API key, once.
type Paired struct {
	APIKey   string     `json:"api_key"`
	DeviceID uuid.UUID  `json:"device_id"`
	UserID   *uuid.UUID `json:"user_id"`
}

// Exchange is the RFC 8628 token poll: a GrantError while the grant is pending (slow_down when
// polled faster than its interval, which then grows by 5 s), denied, expired or spent; for an
// approved grant the device and its key are created once and the grant is consumed.
func (s *Service) Exchange(ctx context.Context, in TokenRequest) (Paired, error) {
	if in.GrantType != "urn:ietf:params:oauth:grant-type:device_code" {
		return Paired{}, GrantError("unsupported_grant_type")
	}
	if in.DeviceCode == "" || len(in.DeviceCode) > 100 {
		return Paired{}, GrantError("invalid_request")
	}
	tx, err := s.db.Begin(ctx)
	if err != nil {
		return Paired{}, postgres.Unavailable(err)
	}
	defer tx.Rollback(ctx) //nolint:errcheck // no-op after commit
	var (
		id, status, name, platform string
		pv, av, bv, os             *string
		user                       *uuid.UUID
		interval                   int
		expired, tooFast           bool
	)
	err = tx.QueryRow(ctx, `select id::text, status, user_id, name, platform, platform_version, addon_version, bridge_version, os,
			interval_s, expires_at <= now(), coalesce(last_polled_at > now() - make_interval(secs => interval_s), false)
		from public.device_grants where device_code_hash = $1 for update`, sha256hex(in.DeviceCode)).
		Scan(&id, &status, &user, &name, &platform, &pv, &av, &bv, &os, &interval, &expired, &tooFast)
	if errors.Is(err, pgx.ErrNoRows) {
		return Paired{}, GrantError("invalid_grant")
	}
	if err != nil {
		return Paired{}, postgres.Unavailable(err)
	}
	switch {
	case status == "consumed":
		return Paired{}, GrantError("invalid_grant")
	case expired:
		return Paired{}, GrantError("expired_token")
	case status == "denied":
		return Paired{}, GrantError("access_denied")
	case status == "pending":
		answer := "authorization_pending"
		if tooFast { // RFC 8628 §3.5: slow down by 5 s for this and later polls
			answer = "slow_down"
			interval += 5
		}
		if _, err := tx.Exec(ctx, `update public.device_grants set last_polled_at = now(), interval_s = $2 where id = $1`, id, interval); err != nil {
			return Paired{}, postgres.Unavailable(err)
		}
		if err := tx.Commit(ctx); err != nil {
			return Paired{}, postgres.Unavailable(err)
		}
		return Paired{}, GrantError(answer)
	}
	// Approved: the device and its key are created once, and the grant is consumed.
	var device uuid.UUID
	err = tx.QueryRow(ctx, `insert into public.devices (user_id, name, platform, platform_version, addon_version, bridge_version, os)
		values ($1, $2, $3, $4, $5, $6, $7) returning id`, user, name, platform, pv, av, bv, os).Scan(&device)
	if err != nil {
		return Paired{}, postgres.Error(err, "device")
	}
	raw, k := apikey.New()
	if _, err := tx.Exec(ctx, `insert into public.api_keys (id, user_id, device_id, name, platform, secret_hash, prefix, scopes)
		values ($1, $2, $3, $4, $5, $6, $7, $8)`, k.ID, user, device, clip("Device: "+name, 80), platform,
		apikey.Hash(s.pepper, k.Secret), apikey.Prefix+k.ID, auth.DeviceScopes()); err != nil {
		return Paired{}, postgres.Error(err, "key")
	}
	if _, err := tx.Exec(ctx, `update public.device_grants set status = 'consumed', device_id = $2 where id = $1`, id, device); err != nil {
		return Paired{}, postgres.Error(err, "grant")
	}
	if err := tx.Commit(ctx); err != nil {
		return Paired{}, postgres.Unavailable(err)
	}
	return Paired{APIKey: raw, DeviceID: device, UserID: user}, nil
}

func normalizeUserCode(s string) string {
	s = strings.ToUpper(strings.TrimSpace(s))
	s = strings.ReplaceAll(s, " ", "")
	// ASCII only: cutting a multi-byte rune would send invalid UTF-8 to PostgreSQL (a 500).
	if len(s) == 8 && utf8.RuneCountInString(s) == 8 && !strings.Contains(s, "-") {
		s = s[:4] + "-" + s[4:]
	}
	return s
}

// originHash is a keyed hash of a client address: grants remember where pairing started without
// storing the address, and /connect can still say whether the approving browser is there too.
func (s *Service) originHash(ip string) string {
	m := hmac.New(sha256.New, s.pepper)
	m.Write([]byte("octane-grant-origin\x00" + ip))
	return hex.EncodeToString(m.Sum(nil))
}

// CodeRequest is the body of POST /v1/devices/lookup, approve and deny.
type CodeRequest struct {
	UserCode string `json:"user_code"`
}

// Client is what a Blender said about itself when it asked to pair (the versions and OS are
// optional), as pending codes and paired devices show it.
type Client struct {
	Name            string  `json:"name"`
	Platform        string  `json:"platform"`
	PlatformVersion *string `json:"platform_version"`
	AddonVersion    *string `json:"addon_version"`
	BridgeVersion   *string `json:"bridge_version"`
	OS              *string `json:"os"`
}

// Pending is what a pending pairing code would connect.
type Pending struct {
	UserCode string `json:"user_code"`
	Client
	RequestedAt time.Time `json:"requested_at"`
	ExpiresAt   time.Time `json:"expires_at"`
	SameNetwork *bool     `json:"same_network"`
}

// Lookup shows what a pending pairing code would connect, before the user approves it: the
// device's name, platform and versions, OS, when it was requested and whether it was requested
// from clientIP. Only pending, unexpired codes are found; the user code (8 letters from 20, live
// 10 minutes, rate limited) is what keeps this to its holder.
func (s *Service) Lookup(ctx context.Context, code, clientIP string) (Pending, error) {
	if code == "" {
		return Pending{}, apierror.New(apierror.MissingRequiredField, "user_code is required")
	}
	var out Pending
	var origin *string
	err := s.db.QueryRow(ctx, `select user_code, name, platform, platform_version, addon_version, bridge_version, os,
			created_at, expires_at, origin_hash
		from public.device_grants where user_code = $1 and status = 'pending' and expires_at > now()`,
		normalizeUserCode(code)).Scan(&out.UserCode, &out.Name, &out.Platform, &out.PlatformVersion, &out.AddonVersion,
		&out.BridgeVersion, &out.OS, &out.RequestedAt, &out.ExpiresAt, &origin)
	if err != nil {
		return Pending{}, postgres.Error(err, "code")
	}
	if origin != nil { // unknown for grants made before the origin was recorded
		same := hmac.Equal([]byte(*origin), []byte(s.originHash(clientIP)))
		out.SameNetwork = &same
	}
	return out, nil
}

// Decide moves a pending, unexpired grant to status (approved or denied) for user and returns
// the device's name and platform. A denied grant answers the polling bridge access_denied.
func (s *Service) Decide(ctx context.Context, user uuid.UUID, code, status string) (name, platform string, err error) {
	if code == "" {
		return "", "", apierror.New(apierror.MissingRequiredField, "user_code is required")
	}
	err = s.db.QueryRow(ctx, `update public.device_grants set status = $3, user_id = $2
		where user_code = $1 and status = 'pending' and expires_at > now() returning name, platform`,
		normalizeUserCode(code), user, status).Scan(&name, &platform)
	if err != nil {
		return "", "", postgres.Error(err, "code")
	}
	return name, platform, nil
}

// Device is a paired device as its owner sees it.
type Device struct {
	ID uuid.UUID `json:"id"`
	Client
	LastSeenAt *time.Time `json:"last_seen_at"`
	Online     bool       `json:"online"`
	CreatedAt  time.Time  `json:"created_at"`
}

const deviceCols = `id, name, platform, platform_version, addon_version, bridge_version, os, last_seen_at,
	coalesce(last_seen_at > now() - interval '90 seconds', false), created_at`

func scanDevice(row pgx.Row) (Device, error) {
	var d Device
	err := row.Scan(&d.ID, &d.Name, &d.Platform, &d.PlatformVersion, &d.AddonVersion, &d.BridgeVersion, &d.OS, &d.LastSeenAt, &d.Online, &d.CreatedAt)
	return d, err
}

// List returns user's unrevoked devices, most recently seen first.
func (s *Service) List(ctx context.Context, user uuid.UUID) ([]Device, error) {
	rows, err := s.db.Query(ctx, `select `+deviceCols+` from public.devices
		where user_id = $1 and revoked_at is null order by last_seen_at desc nulls last, created_at desc`, user)
	if err != nil {
		return nil, postgres.Error(err, "devices")
	}
	out, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (Device, error) { return scanDevice(row) })
	if err != nil {
		return nil, postgres.Error(err, "devices")
	}
	return out, nil
}

// Rename names one of user's devices (1-80 characters).
func (s *Service) Rename(ctx context.Context, user, id uuid.UUID, name string) (Device, error) {
	name = strings.TrimSpace(name)
	if name == "" {
		return Device{}, apierror.New(apierror.MissingRequiredField, "name is required")
	}
	if len([]rune(name)) > 80 {
		return Device{}, apierror.New(apierror.InvalidInput, "name is at most 80 characters")
	}
	d, err := scanDevice(s.db.QueryRow(ctx, `update public.devices set name = $3, updated_at = now()
		where id = $1 and user_id = $2 and revoked_at is null returning `+deviceCols, id, user, name))
	if err != nil {
		return Device{}, postgres.Error(err, "device")
	}
	return d, nil
}

// Revoke revokes one of user's devices and its keys; device JWTs already issued die within their
// TTL, and the database voids its pending tokens (devices trigger).
func (s *Service) Revoke(ctx context.Context, user, id uuid.UUID) error {
	tx, err := s.db.Begin(ctx)
	if err != nil {
		return postgres.Unavailable(err)
	}
	defer tx.Rollback(ctx) //nolint:errcheck // no-op after commit
	tag, err := tx.Exec(ctx, `update public.devices set revoked_at = now(), updated_at = now()
		where id = $1 and user_id = $2 and revoked_at is null`, id, user)
	if err != nil {
		return postgres.Error(err, "device")
	}
	if tag.RowsAffected() == 0 {
		return apierror.New(apierror.NotFound, "device not found")
	}
	if _, err := tx.Exec(ctx, `update public.api_keys set revoked_at = now() where device_id = $1 and revoked_at is null`, id); err != nil {
		return postgres.Error(err, "device")
	}
	if err := tx.Commit(ctx); err != nil {
		return postgres.Unavailable(err)
	}
	return nil
}
