package httpapi

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"net/http"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/labstack/echo/v4"

	"github.com/octanebridge/octane-bridge/edge/internal/apikey"
	"github.com/octanebridge/octane-bridge/edge/internal/auth"
	"github.com/octanebridge/octane-bridge/internal/apierror"
)

const (
	grantTTL       = 10 * time.Minute
	pollInterval   = 5                      // seconds, RFC 8628 default
	userCodeLetter = "BCDFGHJKLMNPQRSTVWXZ" // no vowels: no words; no look-alikes
)

var platforms = []string{"blender", "rhino", "sketchup", "revit", "autocad", "archicad"}

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

// deviceAuthorize starts an RFC 8628 device authorization grant.
func (a *api) deviceAuthorize(c echo.Context) error {
	var in struct {
		Platform        string `json:"platform"`
		PlatformVersion string `json:"platform_version"`
		AddonVersion    string `json:"addon_version"`
		BridgeVersion   string `json:"bridge_version"`
		OS              string `json:"os"`
		Name            string `json:"name"`
	}
	if err := bind(c, &in); err != nil {
		return err
	}
	if in.Platform == "" {
		return apierror.New(apierror.MissingRequiredField, "platform is required")
	}
	if !slices.Contains(platforms, in.Platform) {
		return apierror.New(apierror.InvalidInput, "platform must be one of "+strings.Join(platforms, ", "))
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
		_, err := a.DB.Exec(c.Request().Context(), `insert into public.device_grants
			(device_code_hash, user_code, platform, platform_version, addon_version, bridge_version, os, name, interval_s, expires_at, origin_hash)
			values ($1, $2, $3, $4, $5, $6, $7, $8, $9, now() + $10::interval, $11)`,
			sha256hex(deviceCode), code, in.Platform, clip(in.PlatformVersion, 40), clip(in.AddonVersion, 40),
			clip(in.BridgeVersion, 40), clip(in.OS, 80), name, pollInterval, grantTTL, a.originHash(c.RealIP()))
		if err == nil {
			break
		}
		if !strings.Contains(err.Error(), "23505") {
			return dbError(err, "grant")
		}
		code = ""
	}
	if code == "" {
		return apierror.New(apierror.ServiceUnavailable, "try again shortly")
	}
	verify := a.SiteURL + "/connect"
	return c.JSON(http.StatusOK, map[string]any{
		"device_code": deviceCode, "user_code": code, "verification_uri": verify,
		"verification_uri_complete": verify + "?code=" + code, "expires_in": int(grantTTL.Seconds()), "interval": pollInterval,
	})
}

func oauthError(c echo.Context, code string) error {
	return c.JSON(http.StatusBadRequest, map[string]string{"error": code})
}

// deviceToken is the RFC 8628 token poll. Errors use the RFC's shape, not the API's.
func (a *api) deviceToken(c echo.Context) error {
	var in struct {
		DeviceCode string `json:"device_code"`
		GrantType  string `json:"grant_type"`
	}
	if err := bind(c, &in); err != nil {
		return oauthError(c, "invalid_request")
	}
	if in.GrantType != "urn:ietf:params:oauth:grant-type:device_code" {
		return oauthError(c, "unsupported_grant_type")
	}
	if in.DeviceCode == "" || len(in.DeviceCode) > 100 {
		return oauthError(c, "invalid_request")
	}
	ctx := c.Request().Context()
	tx, err := a.DB.Begin(ctx)
	if err != nil {
		return apierror.Wrap(apierror.ServiceUnavailable, "try again shortly", err)
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
		return oauthError(c, "invalid_grant")
	}
	if err != nil {
		return apierror.Wrap(apierror.ServiceUnavailable, "try again shortly", err)
	}
	switch {
	case status == "consumed":
		return oauthError(c, "invalid_grant")
	case expired:
		return oauthError(c, "expired_token")
	case status == "denied":
		return oauthError(c, "access_denied")
	case status == "pending":
		answer := "authorization_pending"
		if tooFast { // RFC 8628 §3.5: slow down by 5 s for this and later polls
			answer = "slow_down"
			interval += 5
		}
		if _, err := tx.Exec(ctx, `update public.device_grants set last_polled_at = now(), interval_s = $2 where id = $1`, id, interval); err != nil {
			return apierror.Wrap(apierror.ServiceUnavailable, "try again shortly", err)
		}
		if err := tx.Commit(ctx); err != nil {
			return apierror.Wrap(apierror.ServiceUnavailable, "try again shortly", err)
		}
		return oauthError(c, answer)
	}
	// Approved: the device and its key are created once, and the grant is consumed.
	var device uuid.UUID
	err = tx.QueryRow(ctx, `insert into public.devices (user_id, name, platform, platform_version, addon_version, bridge_version, os)
		values ($1, $2, $3, $4, $5, $6, $7) returning id`, user, name, platform, pv, av, bv, os).Scan(&device)
	if err != nil {
		return dbError(err, "device")
	}
	raw, k := apikey.New()
	if _, err := tx.Exec(ctx, `insert into public.api_keys (id, user_id, device_id, name, platform, secret_hash, prefix, scopes)
		values ($1, $2, $3, $4, $5, $6, $7, $8)`, k.ID, user, device, clip("Device: "+name, 80), platform,
		apikey.Hash(a.Pepper, k.Secret), apikey.Prefix+k.ID, auth.DeviceScopes()); err != nil {
		return dbError(err, "key")
	}
	if _, err := tx.Exec(ctx, `update public.device_grants set status = 'consumed', device_id = $2 where id = $1`, id, device); err != nil {
		return dbError(err, "grant")
	}
	if err := tx.Commit(ctx); err != nil {
		return apierror.Wrap(apierror.ServiceUnavailable, "try again shortly", err)
	}
	return c.JSON(http.StatusOK, map[string]any{"api_key": raw, "device_id": device, "user_id": user})
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
func (a *api) originHash(ip string) string {
	m := hmac.New(sha256.New, a.Pepper)
	m.Write([]byte("octane-grant-origin\x00" + ip))
	return hex.EncodeToString(m.Sum(nil))
}

// deviceLookup shows the signed-in user what a pending pairing code would connect, before they
// approve it: the device's name, platform and versions, OS, when it was requested and whether it
// was requested from this browser's address. Only pending, unexpired codes are found; the user
// code (8 letters from 20, live 10 minutes, rate limited) is what keeps this to its holder.
func (a *api) deviceLookup(c echo.Context) error {
	p := principal(c)
	if p.Kind != auth.User {
		return apierror.New(apierror.InsufficientPermissions, "sign in on the web site to review a device")
	}
	var in struct {
		UserCode string `json:"user_code"`
	}
	if err := bind(c, &in); err != nil {
		return err
	}
	if in.UserCode == "" {
		return apierror.New(apierror.MissingRequiredField, "user_code is required")
	}
	var out struct {
		UserCode        string    `json:"user_code"`
		Name            string    `json:"name"`
		Platform        string    `json:"platform"`
		PlatformVersion *string   `json:"platform_version"`
		AddonVersion    *string   `json:"addon_version"`
		BridgeVersion   *string   `json:"bridge_version"`
		OS              *string   `json:"os"`
		RequestedAt     time.Time `json:"requested_at"`
		ExpiresAt       time.Time `json:"expires_at"`
		SameNetwork     *bool     `json:"same_network"`
	}
	var origin *string
	err := a.DB.QueryRow(c.Request().Context(), `select user_code, name, platform, platform_version, addon_version, bridge_version, os,
			created_at, expires_at, origin_hash
		from public.device_grants where user_code = $1 and status = 'pending' and expires_at > now()`,
		normalizeUserCode(in.UserCode)).Scan(&out.UserCode, &out.Name, &out.Platform, &out.PlatformVersion, &out.AddonVersion,
		&out.BridgeVersion, &out.OS, &out.RequestedAt, &out.ExpiresAt, &origin)
	if err != nil {
		return dbError(err, "code")
	}
	if origin != nil { // unknown for grants made before the origin was recorded
		same := hmac.Equal([]byte(*origin), []byte(a.originHash(c.RealIP())))
		out.SameNetwork = &same
	}
	return c.JSON(http.StatusOK, out)
}

// deviceApprove lets the signed-in user approve a pending grant by its user code.
func (a *api) deviceApprove(c echo.Context) error { return a.decideGrant(c, "approved", "approve") }

// deviceDeny lets the signed-in user refuse a pending grant by its user code (a code they did
// not start), so the polling bridge gets RFC 8628 access_denied instead of waiting for expiry.
func (a *api) deviceDeny(c echo.Context) error { return a.decideGrant(c, "denied", "deny") }

// decideGrant moves a pending, unexpired grant to status (approved or denied) for the signed-in
// user and answers {<status>: true, name, platform}.
func (a *api) decideGrant(c echo.Context, status, verb string) error {
	p := principal(c)
	if p.Kind != auth.User {
		return apierror.New(apierror.InsufficientPermissions, "sign in on the web site to "+verb+" a device")
	}
	var in struct {
		UserCode string `json:"user_code"`
	}
	if err := bind(c, &in); err != nil {
		return err
	}
	if in.UserCode == "" {
		return apierror.New(apierror.MissingRequiredField, "user_code is required")
	}
	var name, platform string
	err := a.DB.QueryRow(c.Request().Context(), `update public.device_grants set status = $3, user_id = $2
		where user_code = $1 and status = 'pending' and expires_at > now() returning name, platform`,
		normalizeUserCode(in.UserCode), p.UserID, status).Scan(&name, &platform)
	if err != nil {
		return dbError(err, "code")
	}
	return c.JSON(http.StatusOK, map[string]any{status: true, "name": name, "platform": platform})
}

type deviceOut struct {
	ID              uuid.UUID  `json:"id"`
	Name            string     `json:"name"`
	Platform        string     `json:"platform"`
	PlatformVersion *string    `json:"platform_version"`
	AddonVersion    *string    `json:"addon_version"`
	BridgeVersion   *string    `json:"bridge_version"`
	OS              *string    `json:"os"`
	LastSeenAt      *time.Time `json:"last_seen_at"`
	Online          bool       `json:"online"`
	CreatedAt       time.Time  `json:"created_at"`
}

const deviceCols = `id, name, platform, platform_version, addon_version, bridge_version, os, last_seen_at,
	coalesce(last_seen_at > now() - interval '90 seconds', false), created_at`

func scanDevice(row pgx.Row) (deviceOut, error) {
	var d deviceOut
	err := row.Scan(&d.ID, &d.Name, &d.Platform, &d.PlatformVersion, &d.AddonVersion, &d.BridgeVersion, &d.OS, &d.LastSeenAt, &d.Online, &d.CreatedAt)
	return d, err
}

func (a *api) deviceList(c echo.Context) error {
	p := principal(c)
	rows, err := a.DB.Query(c.Request().Context(), `select `+deviceCols+` from public.devices
		where user_id = $1 and revoked_at is null order by last_seen_at desc nulls last, created_at desc`, p.UserID)
	if err != nil {
		return dbError(err, "devices")
	}
	out := []deviceOut{}
	for rows.Next() {
		d, err := scanDevice(rows)
		if err != nil {
			return dbError(err, "devices")
		}
		out = append(out, d)
	}
	if err := rows.Err(); err != nil {
		return dbError(err, "devices")
	}
	return c.JSON(http.StatusOK, map[string]any{"devices": out})
}

func (a *api) deviceRename(c echo.Context) error {
	p := principal(c)
	id, err := pathID(c)
	if err != nil {
		return err
	}
	var in struct {
		Name string `json:"name"`
	}
	if err := bind(c, &in); err != nil {
		return err
	}
	name := strings.TrimSpace(in.Name)
	if name == "" {
		return apierror.New(apierror.MissingRequiredField, "name is required")
	}
	if len([]rune(name)) > 80 {
		return apierror.New(apierror.InvalidInput, "name is at most 80 characters")
	}
	d, err := scanDevice(a.DB.QueryRow(c.Request().Context(), `update public.devices set name = $3, updated_at = now()
		where id = $1 and user_id = $2 and revoked_at is null returning `+deviceCols, id, p.UserID, name))
	if err != nil {
		return dbError(err, "device")
	}
	return c.JSON(http.StatusOK, d)
}

// deviceRevoke revokes the device and its keys; device JWTs already issued die within their TTL,
// and the database voids its pending tokens (devices trigger).
func (a *api) deviceRevoke(c echo.Context) error {
	p := principal(c)
	id, err := pathID(c)
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	tx, err := a.DB.Begin(ctx)
	if err != nil {
		return apierror.Wrap(apierror.ServiceUnavailable, "try again shortly", err)
	}
	defer tx.Rollback(ctx) //nolint:errcheck // no-op after commit
	tag, err := tx.Exec(ctx, `update public.devices set revoked_at = now(), updated_at = now()
		where id = $1 and user_id = $2 and revoked_at is null`, id, p.UserID)
	if err != nil {
		return dbError(err, "device")
	}
	if tag.RowsAffected() == 0 {
		return apierror.New(apierror.NotFound, "device not found")
	}
	if _, err := tx.Exec(ctx, `update public.api_keys set revoked_at = now() where device_id = $1 and revoked_at is null`, id); err != nil {
		return dbError(err, "device")
	}
	if err := tx.Commit(ctx); err != nil {
		return apierror.Wrap(apierror.ServiceUnavailable, "try again shortly", err)
	}
	return c.NoContent(http.StatusNoContent)
}

// authToken exchanges a device API key for a short-lived device JWT.
func (a *api) authToken(c echo.Context) error {
	p := principal(c)
	if p.Kind != auth.Key || p.DeviceID == uuid.Nil {
		return apierror.New(apierror.InsufficientPermissions, "a device API key is required")
	}
	tok, exp, err := a.JWTs.MintDevice(p.UserID, p.DeviceID, p.Platform, a.Now())
	if err != nil {
		return apierror.Wrap(apierror.Internal, "internal error", err)
	}
	return c.JSON(http.StatusOK, map[string]any{"access_token": tok, "token_type": "bearer",
		"expires_in": int(a.JWTs.DeviceTTL().Seconds()), "expires_at": exp.Unix(), "device_id": p.DeviceID, "user_id": p.UserID})
}
