// Package httpapi is the edge's HTTP surface: the route table (with each route's scope), the
// middleware every request passes (request id, logging, CORS, limits, headers, auth, rate
// limits), the error handler and body, the one request binder (Bind), and thin handlers for
// imports, devices and API keys that bind, check the caller and call the feature packages
// (edge/internal/imports, devices, apikeys), which own the domain rules and the SQL. Billing
// and storage handlers come from their packages and are given Bind and the current user.
package httpapi

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"regexp"
	"strconv"
	"time"

	"github.com/getsentry/sentry-go"
	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/labstack/echo/v4"
	"github.com/labstack/echo/v4/middleware"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/trace"

	"github.com/octanebridge/octane-bridge/edge/internal/account"
	"github.com/octanebridge/octane-bridge/edge/internal/apikeys"
	"github.com/octanebridge/octane-bridge/edge/internal/auth"
	"github.com/octanebridge/octane-bridge/edge/internal/devices"
	"github.com/octanebridge/octane-bridge/edge/internal/imports"
	"github.com/octanebridge/octane-bridge/edge/internal/operators"
	"github.com/octanebridge/octane-bridge/edge/internal/postgres"
	"github.com/octanebridge/octane-bridge/edge/internal/ratelimit"
	"github.com/octanebridge/octane-bridge/edge/internal/token"
	"github.com/octanebridge/octane-bridge/edge/internal/webhooks"
	"github.com/octanebridge/octane-bridge/internal/apierror"
	"github.com/octanebridge/octane-bridge/internal/shaderpkg"
)

// Presigner signs download URLs (edge/internal/storage in production).
type Presigner = imports.Presigner

// Deps are the router's collaborators; nil optional handlers answer SERVICE_UNAVAILABLE. New
// builds the imports, devices and apikeys services from DB, Pepper, Tokens, Delivery,
// Presigner and the windows below.
type Deps struct {
	DB        *pgxpool.Pool
	Log       *slog.Logger
	JWTs      *auth.JWTs
	Tokens    *token.Keyring
	Delivery  *shaderpkg.SigningKeyring
	Presigner Presigner
	Limiter   ratelimit.Limiter
	Pepper    []byte
	SiteURL   string

	QueueWindow    time.Duration
	DownloadTTL    time.Duration
	ClientIPHeader string
	Registry       *prometheus.Registry
	Now            func() time.Time

	// WebhooksAllowLoopback admits loopback webhook URLs (WEBHOOK_ALLOW_LOOPBACK: local stack, tests).
	WebhooksAllowLoopback bool

	// Observability, all optional (telemetry.go): a Sentry client (nil: off), OpenTelemetry
	// providers (nil: no-op), and Redis for readiness when rate limits live there.
	Sentry         *sentry.Client
	TracerProvider trace.TracerProvider
	MeterProvider  metric.MeterProvider
	Redis          Pinger

	// Handlers owned by other packages (billing, storage).
	Checkout, Portal, Webhook                             echo.HandlerFunc
	UploadCreate, UploadPart, UploadComplete, UploadAbort echo.HandlerFunc
}

type api struct {
	Deps
	account   accountService
	keys      keyStore
	devices   deviceService
	operators *operators.Store
	imports   importService
	webhooks  webhookService
	requests  *prometheus.CounterVec
	duration  *prometheus.HistogramVec
	tel       httpTelemetry
}

const (
	ctxPrincipal = "octane.principal"
	headerReqID  = "X-Request-Id"
)

var reqIDPattern = regexp.MustCompile(`^[A-Za-z0-9-]{8,64}$`)

// New builds the router.
func New(d Deps) *echo.Echo {
	if d.Log == nil {
		d.Log = slog.New(slog.DiscardHandler)
	}
	if d.Now == nil {
		d.Now = time.Now
	}
	if d.Registry == nil {
		d.Registry = prometheus.NewRegistry()
	}
	a := &api{Deps: d, keys: apikeys.New(d.DB, d.Pepper, d.Log), devices: devices.New(d.DB, d.Pepper), operators: operators.New(d.DB)}
	a.requests = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "edge_http_requests_total", Help: "HTTP requests by route and status."}, []string{"method", "route", "status"})
	a.duration = prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "edge_http_request_duration_seconds", Help: "HTTP request latency by route.",
		Buckets: []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5}}, []string{"method", "route"})
	d.Registry.MustRegister(a.requests, a.duration)
	a.tel = newHTTPTelemetry(d)
	a.webhooks = webhooks.New(d.DB, d.Pepper, d.WebhooksAllowLoopback)
	a.account = account.New(d.DB)
	a.imports = imports.New(imports.Deps{DB: d.DB, Tokens: d.Tokens, Delivery: d.Delivery, Presigner: d.Presigner,
		QueueWindow: d.QueueWindow, DownloadTTL: d.DownloadTTL, TracerProvider: d.TracerProvider, MeterProvider: d.MeterProvider})

	e := echo.New()
	e.HideBanner, e.HidePort = true, true
	e.HTTPErrorHandler = a.errorHandler
	e.IPExtractor = a.clientIP
	e.Use(a.requestID, a.instrument, a.observe, a.recover)
	e.Use(middleware.SecureWithConfig(middleware.SecureConfig{
		XSSProtection: "0", ContentTypeNosniff: "nosniff", XFrameOptions: "DENY", HSTSMaxAge: 31536000,
		ContentSecurityPolicy: "default-src 'none'; frame-ancestors 'none'", ReferrerPolicy: "no-referrer",
	}))
	e.Use(middleware.CORSWithConfig(middleware.CORSConfig{
		AllowOrigins:  []string{d.SiteURL},
		AllowMethods:  []string{http.MethodGet, http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete},
		AllowHeaders:  []string{"Authorization", "Content-Type", "X-Api-Key", headerReqID},
		ExposeHeaders: []string{"RateLimit", "RateLimit-Policy", "Retry-After", headerReqID},
		MaxAge:        600,
	}))
	e.Use(middleware.BodyLimitWithConfig(middleware.BodyLimitConfig{
		Limit: "64K",
		// The webhook and upload handlers cap their own bodies (Stripe events, part lists).
		Skipper: func(c echo.Context) bool {
			p := c.Path()
			return p == "/v1/stripe/webhook" || len(p) >= 11 && p[:11] == "/v1/uploads"
		},
	}))
	for _, r := range a.routes() {
		e.Add(r.Method, r.Path, r.Handler, a.guard(r))
	}
	return e
}

func (a *api) clientIP(r *http.Request) string {
	if a.ClientIPHeader != "" {
		if v := r.Header.Get(a.ClientIPHeader); net.ParseIP(v) != nil {
			return v
		}
	}
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

func (a *api) requestID(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		id := c.Request().Header.Get(headerReqID)
		if !reqIDPattern.MatchString(id) {
			id = uuid.NewString()
		}
		c.Set(headerReqID, id)
		c.Response().Header().Set(headerReqID, id)
		c.Response().Header().Set("Cache-Control", "no-store")
		return next(c)
	}
}

func requestIDOf(c echo.Context) string { s, _ := c.Get(headerReqID).(string); return s }

// observe logs one line per request (route template, never the URL with its query) and records
// the metrics.
func (a *api) observe(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		start := time.Now()
		err := next(c)
		if err != nil {
			c.Error(err)
		}
		route := c.Path()
		if route == "" {
			route = "unmatched"
		}
		status := c.Response().Status
		el := time.Since(start)
		a.requests.WithLabelValues(c.Request().Method, route, strconv.Itoa(status)).Inc()
		a.duration.WithLabelValues(c.Request().Method, route).Observe(el.Seconds())
		attrs := []any{"method", c.Request().Method, "route", route, "status", status,
			"duration_ms", float64(el.Microseconds()) / 1000, "request_id", requestIDOf(c), "ip", c.RealIP()}
		if p, ok := c.Get(ctxPrincipal).(auth.Principal); ok {
			attrs = append(attrs, "user_id", p.UserID.String())
			if p.DeviceID != uuid.Nil {
				attrs = append(attrs, "device_id", p.DeviceID.String())
			}
		}
		a.Log.LogAttrs(c.Request().Context(), slog.LevelInfo, "request", argsToAttrs(attrs)...)
		return nil
	}
}

func argsToAttrs(kv []any) []slog.Attr {
	out := make([]slog.Attr, 0, len(kv)/2)
	for i := 0; i+1 < len(kv); i += 2 {
		out = append(out, slog.Any(kv[i].(string), kv[i+1]))
	}
	return out
}

func (a *api) recover(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) (err error) {
		defer func() {
			if r := recover(); r != nil {
				if r == http.ErrAbortHandler {
					panic(r)
				}
				err = apierror.Wrap(apierror.Internal, "internal error", newPanicError(r))
				a.Log.Error("panic", "recovered", r, "request_id", requestIDOf(c))
			}
		}()
		return next(c)
	}
}

// errorHandler writes the one error body. Echo's own errors (no route, bad method, body too
// large) are mapped into the closed set; internal causes are logged, never sent.
func (a *api) errorHandler(err error, c echo.Context) {
	if c.Response().Committed {
		return
	}
	var he *echo.HTTPError
	var e *apierror.Error
	switch {
	case errors.As(err, &he):
		switch he.Code {
		case http.StatusNotFound, http.StatusMethodNotAllowed:
			e = apierror.New(apierror.NotFound, "no such route")
		case http.StatusRequestEntityTooLarge:
			e = apierror.New(apierror.InvalidInput, "the request body is too large")
		case http.StatusUnauthorized:
			e = apierror.New(apierror.AuthRequired, "authentication required")
		case http.StatusForbidden:
			e = apierror.New(apierror.InsufficientPermissions, "not allowed")
		case http.StatusTooManyRequests:
			e = apierror.New(apierror.RateLimitExceeded, "too many requests")
		case http.StatusServiceUnavailable:
			e = apierror.New(apierror.ServiceUnavailable, "service unavailable")
		default:
			if he.Code >= 400 && he.Code < 500 {
				e = apierror.New(apierror.InvalidInput, "invalid request")
			} else {
				e = apierror.Wrap(apierror.Internal, "internal error", err)
			}
		}
	default:
		e = apierror.From(err)
		if e.Code == apierror.Internal && e.Err != nil && postgres.ConnectionLost(e.Err) {
			e = apierror.Wrap(apierror.ServiceUnavailable, "the service is briefly unavailable; try again shortly", e.Err)
		}
	}
	st := e.Code.Status()
	if st >= 500 {
		a.Log.ErrorContext(c.Request().Context(), "request failed", "code", string(e.Code), "err", e.Err, "route", c.Path(), "request_id", requestIDOf(c))
		a.report(c, e)
	}
	if c.Request().Method == http.MethodHead {
		_ = c.NoContent(st)
		return
	}
	_ = c.JSON(st, apierror.NewBody(e, requestIDOf(c)))
}

func (a *api) healthz(c echo.Context) error {
	return c.JSON(http.StatusOK, map[string]string{"status": "ok"})
}

// readyz answers 200 when the instance can serve: PostgreSQL answers, and Redis too when the
// rate limits live there. Orchestrators route traffic only to ready instances.
func (a *api) readyz(c echo.Context) error {
	ctx, cancel := context.WithTimeout(c.Request().Context(), 2*time.Second)
	defer cancel()
	if a.DB == nil || a.DB.Ping(ctx) != nil {
		return apierror.New(apierror.ServiceUnavailable, "database unavailable")
	}
	if a.Redis != nil && a.Redis.Ping(ctx) != nil {
		return apierror.New(apierror.ServiceUnavailable, "rate-limit store (Redis) unavailable")
	}
	return c.JSON(http.StatusOK, map[string]string{"status": "ready"})
}

// MetricsHandler serves GET /metrics (Prometheus text) from reg, the registry given to New. The
// edge mounts it on its own listener (METRICS_ADDR, loopback by default), never on the API port:
// route names, status counts and process details are for the operator's scraper, not the public.
func MetricsHandler(reg *prometheus.Registry) http.Handler {
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
	return mux
}

func unavailable(c echo.Context) error {
	return apierror.New(apierror.ServiceUnavailable, "this feature is not configured")
}
