// Package edgeclient talks to the edge's HTTP API (pairing, device JWTs, import redemption) and to
// the Supabase REST RPCs the bridge calls with its device JWT (pending imports, status reports,
// heartbeat). Every failure carries a stable code (see Error).
package edgeclient

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/octanebridge/octane-bridge/bridge/internal/fault"
	"github.com/octanebridge/octane-bridge/bridge/internal/httpx"
	"github.com/octanebridge/octane-bridge/internal/shaderpkg"
	"github.com/octanebridge/octane-bridge/internal/wire"
)

// maxBody bounds what is read from any response.
const maxBody = 1 << 20

// Config names the servers and the HTTP client (proxy and TLS come from httpx).
type Config struct {
	EdgeURL, SupabaseURL, AnonKey string
	HTTP                          *http.Client
	UserAgent                     string
	// Now is the clock that decides when a device JWT needs refreshing; nil means time.Now.
	Now func() time.Time
	// Instance is this Blender session's id: redemptions and redeliveries name it (an import for
	// another Blender of the machine is refused) and InstanceHeartbeat announces it. "" names none.
	Instance string
}

// DeviceInfo describes this Blender to the user approving it.
type DeviceInfo struct{ Name, Platform, PlatformVersion, AddonVersion, BridgeVersion, OS string }

// Authorization is the RFC 8628 device authorization response.
type Authorization struct {
	DeviceCode, UserCode, VerificationURI, VerificationURIComplete string
	Interval, ExpiresIn                                            time.Duration
	issued                                                         time.Time
}

// DeviceKey is what a completed pairing yields, once.
type DeviceKey struct{ APIKey, DeviceID, UserID string }

// Pending is an import waiting for this device.
type Pending struct {
	ImportID, ShaderID, ShaderSlug, ShaderName, Version string
	ExpiresAt                                           time.Time
	InstanceID                                          string // the Blender it is for; "" = any
	InstanceOnline                                      bool   // that Blender runs (else another may take it)
}

// Redemption is a spent import token: where to download and what must arrive.
type Redemption struct {
	DownloadURL string // the package (a v2 package's base)
	TexturesURL string // a v2 delivery's texture set; "" when it has none
	ExpiresAt   time.Time
	Delivery    shaderpkg.Signed
	// ServerTime is the edge's clock when it answered (its Date header), zero when absent: the
	// delivery's expiry is judged by it, not by this machine's clock, which may be wrong.
	ServerTime time.Time
}

// Client is safe for concurrent use.
type Client struct {
	cfg   Config
	edge  string
	rest  string
	now   func() time.Time
	after func(time.Duration) <-chan time.Time // tests shorten polling waits
}

// New returns a client for cfg.
func New(cfg Config) *Client {
	if cfg.HTTP == nil {
		cfg.HTTP = &http.Client{Timeout: 30 * time.Second}
	}
	now := cfg.Now
	if now == nil {
		now = time.Now
	}
	return &Client{cfg: cfg, edge: strings.TrimRight(cfg.EdgeURL, "/"),
		rest: strings.TrimRight(cfg.SupabaseURL, "/") + "/rest/v1/rpc/", now: now, after: time.After}
}

// Authorize starts pairing (POST /v1/devices/authorize).
func (c *Client) Authorize(ctx context.Context, d DeviceInfo) (Authorization, error) {
	body := map[string]string{"platform": d.Platform, "platform_version": d.PlatformVersion,
		"addon_version": d.AddonVersion, "bridge_version": d.BridgeVersion, "os": d.OS, "name": d.Name}
	if body["platform"] == "" {
		body["platform"] = "blender"
	}
	var out struct {
		DeviceCode              string `json:"device_code"`
		UserCode                string `json:"user_code"`
		VerificationURI         string `json:"verification_uri"`
		VerificationURIComplete string `json:"verification_uri_complete"`
		ExpiresIn               int    `json:"expires_in"`
		Interval                int    `json:"interval"`
	}
	if err := c.edgeCall(ctx, http.MethodPost, "/v1/devices/authorize", "", body, &out); err != nil {
		return Authorization{}, err
	}
	if out.DeviceCode == "" || out.UserCode == "" || out.ExpiresIn <= 0 {
		return Authorization{}, &Error{Code: CodeUnexpected, Msg: "authorization response lacks fields"}
	}
	return Authorization{DeviceCode: out.DeviceCode, UserCode: out.UserCode, VerificationURI: out.VerificationURI,
		VerificationURIComplete: out.VerificationURIComplete,
		// RFC 8628 §3.2: 5 s when the server names no interval.
		Interval:  time.Duration(max(out.Interval, 5)) * time.Second,
		ExpiresIn: time.Duration(out.ExpiresIn) * time.Second, issued: c.now()}, nil
}

// PollToken polls POST /v1/devices/token until the user approves (the key), declines
// (ACCESS_DENIED) or the code expires (EXPIRED_TOKEN). It waits the interval before each poll,
// adds 5 s on slow_down (RFC 8628 §3.5), and rides out network errors, 5xx and 429 until expiry.
func (c *Client) PollToken(ctx context.Context, a Authorization) (DeviceKey, error) {
	interval := max(a.Interval, time.Second)
	issued := a.issued
	if issued.IsZero() {
		issued = c.now()
	}
	deadline := issued.Add(a.ExpiresIn)
	body := map[string]string{"device_code": a.DeviceCode, "grant_type": "urn:ietf:params:oauth:grant-type:device_code"}
	wait := interval
	for {
		if a.ExpiresIn > 0 && c.now().Add(wait).After(deadline) {
			return DeviceKey{}, &Error{Code: CodeExpiredToken, Msg: "the pairing code expired"}
		}
		select {
		case <-ctx.Done():
			return DeviceKey{}, ctx.Err()
		case <-c.after(wait):
		}
		wait = interval
		var ok struct {
			APIKey   string `json:"api_key"`
			DeviceID string `json:"device_id"`
			UserID   string `json:"user_id"`
		}
		status, raw, hdr, err := c.do(ctx, http.MethodPost, c.edge+"/v1/devices/token", nil, body)
		if err != nil {
			if ctx.Err() != nil {
				return DeviceKey{}, ctx.Err()
			}
			continue // network trouble: keep polling until the code expires
		}
		if status == http.StatusOK {
			if json.Unmarshal(raw, &ok) != nil || ok.APIKey == "" || ok.DeviceID == "" {
				return DeviceKey{}, &Error{Code: CodeUnexpected, Status: status, Msg: "token response lacks fields"}
			}
			return DeviceKey{APIKey: ok.APIKey, DeviceID: ok.DeviceID, UserID: ok.UserID}, nil
		}
		var oauth struct {
			Error string `json:"error"`
		}
		if status == http.StatusBadRequest && json.Unmarshal(raw, &oauth) == nil {
			switch oauth.Error {
			case "authorization_pending":
				continue
			case "slow_down":
				interval += 5 * time.Second
				wait = interval
				continue
			case "access_denied":
				return DeviceKey{}, &Error{Code: CodeAccessDenied, Status: status, Msg: "the user declined the connection"}
			case "expired_token":
				return DeviceKey{}, &Error{Code: CodeExpiredToken, Status: status, Msg: "the pairing code expired"}
			case "invalid_grant":
				return DeviceKey{}, &Error{Code: CodeInvalidGrant, Status: status, Msg: "the pairing code is unknown or already used"}
			}
		}
		e := decodeEdgeError(&http.Response{StatusCode: status, Header: hdr}, raw)
		if fault.Retryable(e) || status >= 500 {
			wait = max(interval, e.RetryAfter)
			continue
		}
		return DeviceKey{}, e
	}
}

// Redeem spends an import token (POST /v1/imports/{id}/redeem).
func (c *Client) Redeem(ctx context.Context, s *Session, importID, token string) (Redemption, error) {
	body := map[string]string{"token": token}
	if c.cfg.Instance != "" {
		body["instance_id"] = c.cfg.Instance
	}
	return c.delivery(ctx, s, importID, "redeem", body)
}

// Redeliver asks for a fresh delivery of a redeemed but unfinished import of this device
// (POST /v1/imports/{id}/delivery): the bridge resumes after a crash, a closed Blender or a lost
// redeem answer. The edge re-checks the entitlement and puts the import back at redeemed.
func (c *Client) Redeliver(ctx context.Context, s *Session, importID string) (Redemption, error) {
	var body any
	if c.cfg.Instance != "" {
		body = map[string]string{"instance_id": c.cfg.Instance}
	}
	return c.delivery(ctx, s, importID, "delivery", body)
}

// delivery posts to /v1/imports/{id}/{action} and reads the download URL and signed delivery
// both Redeem and Redeliver answer with.
func (c *Client) delivery(ctx context.Context, s *Session, importID, action string, body any) (Redemption, error) {
	var out struct {
		DownloadURL string           `json:"download_url"`
		TexturesURL *string          `json:"textures_url"`
		ExpiresAt   time.Time        `json:"expires_at"`
		Delivery    shaderpkg.Signed `json:"delivery"`
	}
	var hdr http.Header
	err := c.deviceCall(ctx, s, func(jwt string) (err error) {
		hdr, err = c.edgeCallHeader(ctx, http.MethodPost, "/v1/imports/"+url.PathEscape(importID)+"/"+action, jwt, body, &out)
		return err
	})
	if err != nil {
		return Redemption{}, err
	}
	if out.DownloadURL == "" || out.Delivery.Payload == "" || out.Delivery.Sig == "" {
		return Redemption{}, &Error{Code: CodeUnexpected, Msg: action + " response lacks fields"}
	}
	return Redemption{DownloadURL: out.DownloadURL, TexturesURL: deref(out.TexturesURL), ExpiresAt: out.ExpiresAt,
		Delivery: out.Delivery, ServerTime: serverTime(hdr)}, nil
}

// ImportAsk is an import Blender asks for (a resolution switch or a version update).
type ImportAsk struct {
	Shader     string // slug
	Version    string // "" = the newest published
	Resolution string // "" = the account's default
	Purpose    string // "switch" or "update"
}

// RequestImport creates an import for this device and Blender (POST /v1/device/imports): the
// same entitlement-checked path as a web import, answered with the import_request the edge
// would otherwise broadcast (token included), which the bridge then redeems as usual.
func (c *Client) RequestImport(ctx context.Context, s *Session, ask ImportAsk) (wire.ImportRequest, error) {
	body := map[string]string{"shader": ask.Shader, "purpose": ask.Purpose}
	for k, v := range map[string]string{"version": ask.Version, "resolution": ask.Resolution, "blender": c.cfg.Instance} {
		if v != "" {
			body[k] = v
		}
	}
	var raw json.RawMessage
	err := c.deviceCall(ctx, s, func(jwt string) error {
		return c.edgeCall(ctx, http.MethodPost, "/v1/device/imports", jwt, body, &raw)
	})
	if err != nil {
		return wire.ImportRequest{}, err
	}
	var out wire.ImportRequest // the broadcast's own schema (import_request), read as the broadcast is
	if err := wire.Decode(raw, &out); err != nil {
		return wire.ImportRequest{}, &Error{Code: CodeUnexpected, Msg: "device import response: " + err.Error()}
	}
	if out.ImportID == "" || out.Token == "" {
		return wire.ImportRequest{}, &Error{Code: CodeUnexpected, Msg: "device import response lacks import_id or token"}
	}
	return out, nil
}

// ShaderInfo is what the add-on's panel shows about a shader (GET /v1/device/shaders/{slug}).
type ShaderInfo struct {
	Shader        string       `json:"shader"`
	Name          string       `json:"name"`
	LatestVersion *string      `json:"latest_version"` // nil: nothing published
	Versions      []string     `json:"versions"`       // newest first
	TextureSets   []TextureSet `json:"texture_sets"`   // of the latest version
	Entitled      bool         `json:"entitled"`
}

// TextureSet is one resolution of a version and the size of its download.
type TextureSet struct {
	Resolution string `json:"resolution"`
	Size       int64  `json:"size"`
}

// Shader reads a shader's newest version, its resolutions and whether this account may import it.
func (c *Client) Shader(ctx context.Context, s *Session, slug string) (ShaderInfo, error) {
	var out ShaderInfo
	err := c.deviceCall(ctx, s, func(jwt string) error {
		return c.edgeCall(ctx, http.MethodGet, "/v1/device/shaders/"+url.PathEscape(slug), jwt, nil, &out)
	})
	if err != nil {
		return ShaderInfo{}, err
	}
	if out.Shader == "" {
		return ShaderInfo{}, &Error{Code: CodeUnexpected, Msg: "shader response lacks fields"}
	}
	return out, nil
}

// Reissue asks for a fresh token for a queued import of this device (POST /v1/imports/{id}/token).
func (c *Client) Reissue(ctx context.Context, s *Session, importID string) (string, error) {
	var out struct {
		Token string `json:"token"`
	}
	err := c.deviceCall(ctx, s, func(jwt string) error {
		return c.edgeCall(ctx, http.MethodPost, "/v1/imports/"+url.PathEscape(importID)+"/token", jwt, nil, &out)
	})
	if err != nil {
		return "", err
	}
	if out.Token == "" {
		return "", &Error{Code: CodeUnexpected, Msg: "token response lacks the token"}
	}
	return out.Token, nil
}

// PendingImports lists this device's queued imports (RPC pending_imports).
func (c *Client) PendingImports(ctx context.Context, s *Session) ([]Pending, error) {
	var rows []struct {
		ImportID   string    `json:"import_id"`
		ShaderID   string    `json:"shader_id"`
		ShaderSlug string    `json:"shader_slug"`
		ShaderName string    `json:"shader_name"`
		Version    string    `json:"version"`
		ExpiresAt  time.Time `json:"expires_at"`
		InstanceID *string   `json:"instance_id"`
		Online     *bool     `json:"instance_online"`
	}
	if err := c.rpc(ctx, s, "pending_imports", map[string]any{}, &rows); err != nil {
		return nil, err
	}
	out := make([]Pending, 0, len(rows))
	for _, r := range rows {
		out = append(out, Pending{ImportID: r.ImportID, ShaderID: r.ShaderID, ShaderSlug: r.ShaderSlug,
			ShaderName: r.ShaderName, Version: r.Version, ExpiresAt: r.ExpiresAt, InstanceID: deref(r.InstanceID),
			InstanceOnline: r.Online != nil && *r.Online})
	}
	return out, nil
}

// Unfinished is an import this device redeemed earlier and did not finish (a row of RPC
// unfinished_imports, decoded as it comes).
type Unfinished struct {
	ImportID   string    `json:"import_id"`
	ShaderID   string    `json:"shader_id"`
	ShaderSlug string    `json:"shader_slug"`
	ShaderName string    `json:"shader_name"`
	Version    string    `json:"version"`
	Status     string    `json:"status"`
	UpdatedAt  time.Time `json:"updated_at"`
	InstanceID *string   `json:"instance_id"` // the Blender that has it; nil = any
	// InstanceOnline: that Blender runs (nil when none is named); else another may take it over.
	InstanceOnline *bool `json:"instance_online"`
}

// UnfinishedImports lists this device's redeemed but unfinished imports (RPC unfinished_imports).
func (c *Client) UnfinishedImports(ctx context.Context, s *Session) ([]Unfinished, error) {
	out := []Unfinished{}
	if err := c.rpc(ctx, s, "unfinished_imports", map[string]any{}, &out); err != nil {
		return nil, err
	}
	return out, nil
}

// ReportStatus records a step of an import (RPC report_import_status). progress -1 means none;
// code and message are sent only when non-empty (the SQL keeps them for failed imports only).
func (c *Client) ReportStatus(ctx context.Context, s *Session, importID, status string, progress int, code, message string) error {
	args := map[string]any{"p_import": importID, "p_status": status, "p_progress": nil,
		"p_error_code": nil, "p_error_message": nil}
	if progress >= 0 {
		args["p_progress"] = min(progress, 100)
	}
	if code != "" {
		args["p_error_code"] = code
	}
	if message != "" {
		args["p_error_message"] = clip(message, 500)
	}
	return c.rpc(ctx, s, "report_import_status", args, nil)
}

// Account is who a device is paired to, as the add-on shows it.
type Account struct {
	Email        string
	Subscription string // active, trialing, past_due, canceled or inactive
}

// Account reads the owner's e-mail and subscription state (RPC my_account).
func (c *Client) Account(ctx context.Context, s *Session) (Account, error) {
	var rows []struct {
		Email        string `json:"email"`
		Subscription string `json:"subscription"`
	}
	if err := c.rpc(ctx, s, "my_account", map[string]any{}, &rows); err != nil {
		return Account{}, err
	}
	if len(rows) != 1 {
		return Account{}, &Error{Code: CodeUnexpected, Msg: fmt.Sprintf("my_account returned %d rows", len(rows))}
	}
	return Account{Email: rows[0].Email, Subscription: rows[0].Subscription}, nil
}

// Heartbeat marks the device as seen (RPC device_heartbeat); with an Instance, it announces this
// Blender too (RPC instance_heartbeat: its open file and version; online false says goodbye).
func (c *Client) Heartbeat(ctx context.Context, s *Session, b Blender) error {
	if c.cfg.Instance == "" {
		return c.rpc(ctx, s, "device_heartbeat", map[string]any{}, nil)
	}
	return c.rpc(ctx, s, "instance_heartbeat", map[string]any{"p_instance": c.cfg.Instance,
		"p_blend_file": clip(b.BlendFile, 255), "p_blender_version": clip(b.Version, 40), "p_online": !b.Quitting}, nil)
}

// Blender is what the site shows of this Blender.
type Blender struct {
	BlendFile, Version string
	Quitting           bool // the bridge stops: the site shows it offline at once
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

func (c *Client) rpc(ctx context.Context, s *Session, fn string, args any, out any) error {
	return c.deviceCall(ctx, s, func(jwt string) error {
		hdr := http.Header{"Apikey": {c.cfg.AnonKey}, "Authorization": {"Bearer " + jwt}}
		status, raw, rh, err := c.do(ctx, http.MethodPost, c.rest+fn, hdr, args)
		if err != nil {
			return err
		}
		if status/100 != 2 {
			return decodeRESTError(&http.Response{StatusCode: status, Header: rh}, raw)
		}
		if out != nil && json.Unmarshal(raw, out) != nil {
			return &Error{Code: CodeUnexpected, Status: status, Msg: "rpc " + fn + ": unreadable response"}
		}
		return nil
	})
}

// deviceCall runs call with the session's JWT. A refused JWT (401/403) may be a stale token or a
// revoked device: it exchanges the key again, once, so a revoked device surfaces as AUTH_FAILED
// right away instead of after the token's lifetime.
func (c *Client) deviceCall(ctx context.Context, s *Session, call func(jwt string) error) error {
	jwt, err := s.Token(ctx)
	if err != nil {
		return err
	}
	err = call(jwt)
	if code := fault.CodeOf(err); code != CodeAuthFailed && code != CodeInsufficient {
		return err
	}
	jwt2, terr := s.refresh(ctx, jwt)
	if terr != nil {
		return terr
	}
	return call(jwt2)
}

// edgeCall sends a JSON request to the edge and decodes a 2xx JSON answer into out.
func (c *Client) edgeCall(ctx context.Context, method, path, bearer string, body, out any) error {
	_, err := c.edgeCallHeader(ctx, method, path, bearer, body, out)
	return err
}

// edgeCallHeader is edgeCall that also returns the answer's headers.
func (c *Client) edgeCallHeader(ctx context.Context, method, path, bearer string, body, out any) (http.Header, error) {
	var hdr http.Header
	if bearer != "" {
		hdr = http.Header{"Authorization": {"Bearer " + bearer}}
	}
	status, raw, rh, err := c.do(ctx, method, c.edge+path, hdr, body)
	if err != nil {
		return nil, err
	}
	if status/100 != 2 {
		return rh, decodeEdgeError(&http.Response{StatusCode: status, Header: rh}, raw)
	}
	if out != nil && json.Unmarshal(raw, out) != nil {
		return rh, &Error{Code: CodeUnexpected, Status: status, Msg: method + " " + pathOnly(path) + ": unreadable response"}
	}
	return rh, nil
}

// serverTime reads the Date header (RFC 9110 §6.6.1); zero when absent or unreadable.
func serverTime(h http.Header) time.Time {
	t, err := http.ParseTime(h.Get("Date"))
	if err != nil {
		return time.Time{}
	}
	return t
}

// do performs one request. Transport failures become NETWORK; context cancellation is returned as is.
// Errors name the path only: URLs may carry secrets.
func (c *Client) do(ctx context.Context, method, u string, hdr http.Header, body any) (int, []byte, http.Header, error) {
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return 0, nil, nil, err
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, u, rd)
	if err != nil {
		return 0, nil, nil, &Error{Code: CodeNetwork, Msg: "bad server URL", Err: errors.New("invalid URL")}
	}
	for k, v := range hdr {
		req.Header[k] = v
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	req.Header.Set("Accept", "application/json")
	if c.cfg.UserAgent != "" {
		req.Header.Set("User-Agent", c.cfg.UserAgent)
	}
	resp, err := c.cfg.HTTP.Do(req)
	if err != nil {
		if ctx.Err() != nil {
			return 0, nil, nil, ctx.Err()
		}
		return 0, nil, nil, &Error{Code: CodeNetwork, Msg: method + " " + req.URL.Path, Err: httpx.StripURL(err)}
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, maxBody))
	if err != nil {
		if ctx.Err() != nil {
			return 0, nil, nil, ctx.Err()
		}
		return 0, nil, nil, &Error{Code: CodeNetwork, Msg: method + " " + req.URL.Path + ": reading the response", Err: httpx.StripURL(err)}
	}
	return resp.StatusCode, raw, resp.Header, nil
}

func pathOnly(p string) string {
	if i := strings.IndexByte(p, '?'); i >= 0 {
		return p[:i]
	}
	return p
}

// String helps logs: the servers, never credentials.
func (c *Client) String() string { return fmt.Sprintf("edgeclient(edge=%s)", c.edge) }
