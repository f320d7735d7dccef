package httpapi

import (
	"context"
	"net/http"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/labstack/echo/v4"

	"github.com/octanebridge/octane-bridge/edge/internal/apikey"
	"github.com/octanebridge/octane-bridge/edge/internal/auth"
	"github.com/octanebridge/octane-bridge/edge/internal/ratelimit"
	"github.com/octanebridge/octane-bridge/internal/apierror"
)

// Public marks a route that needs no credential (it authenticates otherwise, or not at all).
const Public = "public"

// Authenticated marks a route that any valid credential may call (GET /v1/me).
const Authenticated = "authenticated"

// Limit says how a route is rate limited.
type Limit int

const (
	LimitOpen   Limit = iota // limited; a limiter outage lets requests through (logged)
	LimitClosed              // limited; a limiter outage refuses requests (token mint and redemption)
	LimitNone                // not limited (health, Stripe webhook)
)

// Route is one row of the route table: every route has a scope (or Public) and a limit.
type Route struct {
	Method, Path, Scope string
	Limit               Limit
	Handler             echo.HandlerFunc
}

func or(h echo.HandlerFunc) echo.HandlerFunc {
	if h == nil {
		return unavailable
	}
	return h
}

// routes is the one route→scope table.
func (a *api) routes() []Route {
	return []Route{
		{http.MethodGet, "/healthz", Public, LimitNone, a.healthz},
		{http.MethodGet, "/readyz", Public, LimitNone, a.readyz},

		{http.MethodGet, "/v1/me", Authenticated, LimitOpen, a.me},
		{http.MethodGet, "/v1/settings", auth.ScopeSettingsRead, LimitOpen, a.settingsGet},
		{http.MethodPut, "/v1/settings", auth.ScopeSettingsWrite, LimitOpen, a.settingsPut},

		{http.MethodPost, "/v1/devices/authorize", Public, LimitOpen, a.deviceAuthorize},
		{http.MethodPost, "/v1/devices/token", Public, LimitClosed, a.deviceToken},
		{http.MethodPost, "/v1/devices/lookup", auth.ScopeDevicesManage, LimitOpen, a.deviceLookup},
		{http.MethodPost, "/v1/devices/approve", auth.ScopeDevicesManage, LimitOpen, a.deviceApprove},
		{http.MethodPost, "/v1/devices/deny", auth.ScopeDevicesManage, LimitOpen, a.deviceDeny},
		{http.MethodGet, "/v1/devices", auth.ScopeDevicesRead, LimitOpen, a.deviceList},
		{http.MethodPatch, "/v1/devices/:id", auth.ScopeDevicesManage, LimitOpen, a.deviceRename},
		{http.MethodDelete, "/v1/devices/:id", auth.ScopeDevicesManage, LimitOpen, a.deviceRevoke},
		{http.MethodPost, "/v1/auth/token", auth.ScopeImportsReceive, LimitClosed, a.authToken},

		{http.MethodPost, "/v1/imports", auth.ScopeImportsCreate, LimitClosed, a.createImport},
		{http.MethodGet, "/v1/imports/:id", auth.ScopeImportsRead, LimitOpen, a.getImport},
		{http.MethodPost, "/v1/imports/:id/redeem", auth.ScopeImportsReceive, LimitClosed, a.redeem},
		{http.MethodPost, "/v1/imports/:id/token", auth.ScopeImportsReceive, LimitClosed, a.reissue},
		{http.MethodPost, "/v1/imports/:id/delivery", auth.ScopeImportsReceive, LimitClosed, a.redeliver},
		{http.MethodPost, "/v1/imports/:id/cancel", auth.ScopeImportsCreate, LimitOpen, a.cancelImport},
		{http.MethodPost, "/v1/device/imports", auth.ScopeImportsDevice, LimitClosed, a.deviceImport},
		{http.MethodGet, "/v1/device/shaders/:slug", auth.ScopeImportsDevice, LimitOpen, a.deviceShader},

		{http.MethodPost, "/v1/api-keys", auth.ScopeKeysManage, LimitOpen, a.keyCreate},
		{http.MethodGet, "/v1/api-keys", auth.ScopeKeysManage, LimitOpen, a.keyList},
		{http.MethodDelete, "/v1/api-keys/:id", auth.ScopeKeysManage, LimitOpen, a.keyRevoke},

		{http.MethodPost, "/v1/webhooks", auth.ScopeWebhooksWrite, LimitOpen, a.webhookCreate},
		{http.MethodGet, "/v1/webhooks", auth.ScopeWebhooksWrite, LimitOpen, a.webhookList},
		{http.MethodPost, "/v1/webhooks/:id/rotate", auth.ScopeWebhooksWrite, LimitOpen, a.webhookRotate},
		{http.MethodDelete, "/v1/webhooks/:id", auth.ScopeWebhooksWrite, LimitOpen, a.webhookDelete},
		{http.MethodGet, "/v1/webhooks/:id/deliveries", auth.ScopeWebhooksWrite, LimitOpen, a.webhookDeliveries},

		{http.MethodPost, "/v1/billing/checkout", auth.ScopeBillingManage, LimitOpen, or(a.Checkout)},
		{http.MethodPost, "/v1/billing/portal", auth.ScopeBillingManage, LimitOpen, or(a.Portal)},
		{http.MethodPost, "/v1/stripe/webhook", Public, LimitNone, or(a.Webhook)},

		{http.MethodPost, "/v1/uploads", auth.ScopeUploadsWrite, LimitOpen, or(a.UploadCreate)},
		{http.MethodPost, "/v1/uploads/parts", auth.ScopeUploadsWrite, LimitOpen, or(a.UploadPart)},
		{http.MethodPost, "/v1/uploads/complete", auth.ScopeUploadsWrite, LimitOpen, or(a.UploadComplete)},
		{http.MethodPost, "/v1/uploads/abort", auth.ScopeUploadsWrite, LimitOpen, or(a.UploadAbort)},
	}
}

// PreAuthTier limits, per client IP, the requests whose credential must be looked up in the
// database (API keys) before that lookup: a flood of bogus keys costs one limiter step each and
// then 429s, never an unbounded number of lookups. Generous, so that a studio's many Blenders
// behind one address stay far below it; each key still has its own, smaller tier after auth.
var PreAuthTier = ratelimit.Tier{Name: "preauth", PerMinute: 600}

// guard limits API-key requests by IP, authenticates, checks the route's scope (deny by
// default) and takes a rate-limit step for the principal.
func (a *api) guard(r Route) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			var p auth.Principal
			if r.Scope != Public {
				if r.Limit != LimitNone && presentsAPIKey(c.Request().Header) {
					if err := a.step(c, r, "ip:"+c.RealIP(), PreAuthTier); err != nil {
						return err
					}
				}
				var err error
				if p, err = a.authenticate(c); err != nil {
					return err
				}
				if auth.IsOperatorScope(r.Scope) { // only the database makes an operator
					if p, err = a.operators.Scopes(c.Request().Context(), p); err != nil {
						return err
					}
				}
				if r.Scope != Authenticated && !p.Has(r.Scope) {
					return apierror.New(apierror.InsufficientPermissions, "this credential lacks the scope "+r.Scope)
				}
				c.Set(ctxPrincipal, p)
			}
			if r.Limit != LimitNone {
				if err := a.limit(c, r, p); err != nil {
					return err
				}
			}
			return next(c)
		}
	}
}

func (a *api) limit(c echo.Context, r Route, p auth.Principal) error {
	var key string
	var tier ratelimit.Tier
	switch p.Kind {
	case auth.Key:
		key, tier = "key:"+p.KeyID, ratelimit.TierFor(p.Platform)
	case auth.Device:
		key, tier = "device:"+p.DeviceID.String(), ratelimit.TierFor(p.Platform)
	case auth.User:
		key, tier = "user:"+p.UserID.String(), ratelimit.TierFor("web")
	default:
		key, tier = "ip:"+c.RealIP(), ratelimit.TierFor("")
	}
	return a.step(c, r, key, tier)
}

// step takes one request from key's bucket at tier; a limiter outage refuses LimitClosed
// routes (SERVICE_UNAVAILABLE) and lets the others through.
func (a *api) step(c echo.Context, r Route, key string, tier ratelimit.Tier) error {
	if a.Limiter.Store == nil {
		return nil
	}
	ctx, cancel := context.WithTimeout(c.Request().Context(), time.Second)
	defer cancel()
	d, err := a.Limiter.Allow(ctx, key, tier)
	if err != nil {
		if r.Limit == LimitClosed {
			return apierror.Wrap(apierror.ServiceUnavailable, "try again shortly", err)
		}
		a.Log.WarnContext(c.Request().Context(), "rate limiter unavailable; request let through", "err", err, "route", r.Path)
		return nil
	}
	for k, v := range d.Headers() {
		c.Response().Header().Set(k, v)
	}
	if !d.Allowed {
		return apierror.New(apierror.RateLimitExceeded, "too many requests; see Retry-After")
	}
	return nil
}

// presentsAPIKey says whether authenticate would look the credential up in the database.
func presentsAPIKey(h http.Header) bool {
	cred, err := credential(h)
	return err == nil && strings.HasPrefix(cred, apikey.Prefix)
}

// credential is what the request presents: X-Api-Key, else Authorization: Bearer (an API key
// or a JWT).
func credential(h http.Header) (string, error) {
	cred := h.Get("X-Api-Key")
	if cred == "" {
		if v := h.Get("Authorization"); v != "" {
			scheme, rest, ok := strings.Cut(v, " ")
			if !ok || !strings.EqualFold(scheme, "Bearer") || strings.TrimSpace(rest) == "" {
				return "", apierror.New(apierror.AuthFailed, "the Authorization header must be Bearer <credential>")
			}
			cred = strings.TrimSpace(rest)
		}
	}
	if cred == "" {
		return "", apierror.New(apierror.AuthRequired, "authentication required")
	}
	return cred, nil
}

// authenticate resolves the request's credential: an API key by lookup, a JWT in memory.
func (a *api) authenticate(c echo.Context) (auth.Principal, error) {
	cred, err := credential(c.Request().Header)
	if err != nil {
		return auth.Principal{}, err
	}
	if strings.HasPrefix(cred, apikey.Prefix) {
		return a.keys.Principal(c.Request().Context(), cred)
	}
	p, err := a.JWTs.Verify(cred, a.Now())
	if err != nil {
		return auth.Principal{}, apierror.Wrap(apierror.AuthFailed, "the credential is invalid or expired", err)
	}
	return p, nil
}

func principal(c echo.Context) auth.Principal {
	p, _ := c.Get(ctxPrincipal).(auth.Principal)
	return p
}

// CurrentUser is the signed-in web user (for the billing handlers).
func CurrentUser(c echo.Context) (uuid.UUID, bool) {
	p := principal(c)
	return p.UserID, p.Kind == auth.User
}

// Principal exposes the caller to handlers of other packages.
func Principal(c echo.Context) (auth.Principal, bool) {
	p, ok := c.Get(ctxPrincipal).(auth.Principal)
	return p, ok
}

// RouteTable is the route→scope table the router registers (for tests and the OpenAPI check).
func RouteTable(d Deps) []Route {
	a := &api{Deps: d}
	return a.routes()
}
