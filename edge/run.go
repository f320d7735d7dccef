package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/getsentry/sentry-go"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/labstack/echo/v4"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"github.com/octanebridge/octane-bridge/edge/internal/auth"
	"github.com/octanebridge/octane-bridge/edge/internal/billing"
	"github.com/octanebridge/octane-bridge/edge/internal/config"
	"github.com/octanebridge/octane-bridge/edge/internal/httpapi"
	"github.com/octanebridge/octane-bridge/edge/internal/postgres"
	"github.com/octanebridge/octane-bridge/edge/internal/ratelimit"
	"github.com/octanebridge/octane-bridge/edge/internal/storage"
	"github.com/octanebridge/octane-bridge/edge/internal/telemetry"
	"github.com/octanebridge/octane-bridge/edge/internal/token"
	"github.com/octanebridge/octane-bridge/edge/internal/webhooks"
	"github.com/octanebridge/octane-bridge/internal/shaderpkg"
)

// version is the build's revision, set with -ldflags "-X main.version=…" (cmd/edge-image does).
var version = "dev"

// run is the whole program: `edge` serves, `edge stripe-sync` backfills Stripe data, `edge
// stripe-webhook <url>` creates the webhook endpoint on API version 2023-10-16, `edge version`
// prints the build's revision, `edge healthcheck` probes a running edge (healthcheck.go).
func run(ctx context.Context, args []string, getenv func(string) string, stdout io.Writer) error {
	cfg, err := config.Load(getenv)
	log := httpapi.NewLogger(stdout, cfg.LogLevel)
	// The Stripe commands need only their own settings, so a configuration that is incomplete
	// for serving does not stop them.
	stripeCmd := billing.CommandConfig{DatabaseURL: cfg.DatabaseURL, SecretKey: cfg.StripeSecretKey,
		APIBase: cfg.StripeAPIBase, Products: cfg.StripeProductIDs}
	if len(args) > 1 {
		switch args[1] {
		case "version", "--version":
			_, err := fmt.Fprintln(stdout, "edge", version)
			return err
		case "healthcheck":
			return healthcheck(ctx, args[2:], cfg.Addr, stdout)
		case "stripe-sync":
			return billing.RunStripeSync(ctx, stripeCmd, stdout, log)
		case "stripe-webhook":
			return billing.RunStripeWebhookSetup(ctx, args[2:], stripeCmd, stdout, log)
		default:
			return fmt.Errorf("unknown command %q (commands: stripe-sync, stripe-webhook, version, healthcheck)", args[1])
		}
	}
	if err != nil {
		return err
	}
	log.Info("starting", "config", cfg)
	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return err
	}
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	// Metrics have their own listener (METRICS_ADDR, loopback by default), never the API port.
	if cfg.MetricsAddr != "" {
		mln, err := net.Listen("tcp", cfg.MetricsAddr)
		if err != nil {
			ln.Close()
			return fmt.Errorf("METRICS_ADDR: %w", err)
		}
		mctx, stopMetrics := context.WithCancel(ctx)
		done := make(chan struct{})
		go func() {
			defer close(done)
			if err := serve(mctx, mln, httpapi.MetricsHandler(reg), log.With("listener", "metrics")); err != nil {
				log.Error("metrics listener", "err", err)
			}
		}()
		defer func() { stopMetrics(); <-done }()
	}
	h, cleanup, err := build(ctx, cfg, log, reg)
	if err != nil {
		ln.Close()
		return err
	}
	defer cleanup()
	return serve(ctx, ln, h, log)
}

// build wires the dependencies; cleanup closes them.
func build(ctx context.Context, cfg config.Config, log *slog.Logger, reg *prometheus.Registry) (http.Handler, func(), error) {
	tokens, err := token.ParseKeyring(cfg.ImportTokenKeys)
	if err != nil {
		return nil, nil, err
	}
	signer, err := shaderpkg.ParseSigningKeyring(cfg.ManifestSigningKeys)
	if err != nil {
		return nil, nil, err
	}
	var jwks *auth.JWKS
	if cfg.SupabaseURL != "" {
		jwks = auth.NewJWKS(cfg.SupabaseURL+"/auth/v1/.well-known/jwks.json", nil)
	}
	jwts, err := auth.NewJWTs([]byte(cfg.JWTSecret), cfg.EdgeURL, jwks, cfg.DeviceTokenTTL)
	if err != nil {
		return nil, nil, err
	}
	// Observability that is off unless configured: OTLP traces and metrics, Sentry errors.
	tel, err := telemetry.OTLP(ctx, telemetry.OTLPConfig{TracesURL: cfg.OTLPTracesURL, MetricsURL: cfg.OTLPMetricsURL,
		Headers: cfg.OTLPHeaders, ServiceName: cfg.OTelServiceName, Version: version, Environment: cfg.SentryEnvironment})
	if err != nil {
		return nil, nil, fmt.Errorf("OpenTelemetry: %w", err)
	}
	var reporter *sentry.Client
	if cfg.SentryDSN != "" {
		reporter, err = telemetry.NewSentry(telemetry.SentryOptions{DSN: cfg.SentryDSN, Environment: cfg.SentryEnvironment, Release: version})
		if err != nil {
			_ = tel.Shutdown(ctx)
			return nil, nil, fmt.Errorf("SENTRY_DSN: %w", err)
		}
	}
	closeTelemetry := func() {
		if reporter != nil {
			reporter.Flush(2 * time.Second)
		}
		sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		defer cancel()
		if err := tel.Shutdown(sctx); err != nil {
			log.Warn("flushing telemetry", "err", err)
		}
	}
	built := false
	defer func() {
		if !built {
			closeTelemetry()
		}
	}()
	pcfg, err := pgxpool.ParseConfig(cfg.DatabaseURL)
	if err != nil {
		return nil, nil, errors.New("DATABASE_URL: not a valid PostgreSQL URL")
	}
	postgres.Configure(pcfg)
	if cfg.OTLPTracesURL != "" {
		pcfg.ConnConfig.Tracer = telemetry.NewPgxTracer(tel.Tracer) // one span per statement
	}
	pool, err := pgxpool.NewWithConfig(ctx, pcfg)
	if err != nil {
		return nil, nil, fmt.Errorf("DATABASE_URL: %w", err)
	}
	// Rate-limit buckets live in Redis when REDIS_URL is set, else in PostgreSQL; either way they
	// are shared by every instance. The store is not pinged here: a store outage is handled per
	// request (mint and redeem fail closed).
	var limits ratelimit.Store = ratelimit.Postgres{DB: pool}
	var redisReady httpapi.Pinger // /readyz pings Redis too when the limits live there
	closeLimits := func() {}
	if cfg.RedisURL != "" {
		r, err := ratelimit.DialRedis(cfg.RedisURL)
		if err != nil {
			pool.Close()
			return nil, nil, errors.New("REDIS_URL: not a valid Redis URL")
		}
		limits, closeLimits, redisReady = r, func() { _ = r.Close() }, r
		log.Info("rate limits in Redis")
	}
	d := httpapi.Deps{
		DB: pool, Log: log, JWTs: jwts, Tokens: tokens, Delivery: signer,
		Limiter: ratelimit.Limiter{Store: limits}, Pepper: cfg.APIKeyPepper,
		SiteURL: cfg.SiteURL, QueueWindow: cfg.QueueWindow, DownloadTTL: cfg.DownloadTTL,
		ClientIPHeader: cfg.ClientIPHeader, Registry: reg, WebhooksAllowLoopback: cfg.WebhookAllowLoopback,
		Sentry: reporter, TracerProvider: tel.Tracer, MeterProvider: tel.Meter, Redis: redisReady,
	}
	// S3_ENDPOINT names a custom S3 (the local versitygw); without it, S3_BUCKET alone means AWS S3
	// with the standard credential chain and region.
	if cfg.S3Endpoint != "" || cfg.S3Bucket != "" {
		p, err := storage.New(storage.Config{Endpoint: cfg.S3Endpoint, Region: cfg.S3Region, AccessKey: cfg.S3AccessKey,
			SecretKey: cfg.S3SecretKey, Bucket: cfg.S3Bucket}, storage.Limits{})
		if err != nil {
			closeLimits()
			pool.Close()
			return nil, nil, err
		}
		d.Presigner = p
		up := p.UploadHandlers(operator, 0, httpapi.Bind)
		d.UploadCreate, d.UploadPart, d.UploadComplete, d.UploadAbort = up.Create, up.Part, up.Complete, up.Abort
	} else {
		log.Warn("S3_BUCKET and S3_ENDPOINT are empty: redemption and uploads answer SERVICE_UNAVAILABLE")
	}
	var startup []func(context.Context) error // run by maintain until each succeeds once
	if cfg.StripeSecretKey != "" && cfg.StripeWebhookSecret != "" {
		b, err := billing.New(billing.Deps{
			DB: pool, Stripe: billing.NewStripeClient(cfg.StripeSecretKey, cfg.StripeAPIBase, nil, log),
			Users: billing.NewGoTrueDirectory(cfg.SupabaseURL, cfg.ServiceKey, 10*time.Second), Log: log,
			Config: billing.Config{WebhookSecret: cfg.StripeWebhookSecret, SiteURL: cfg.SiteURL, Products: cfg.StripeProductIDs},
		})
		if err != nil {
			closeLimits()
			pool.Close()
			return nil, nil, err
		}
		d.Checkout, d.Portal, d.Webhook = b.Checkout(httpapi.CurrentUser, httpapi.Bind), b.Portal(httpapi.CurrentUser), b.Webhook()
		startup = append(startup, b.MarkLibraryProducts)
	} else {
		log.Warn("Stripe is not configured: billing routes answer SERVICE_UNAVAILABLE")
	}
	jobs, stopJobs := context.WithCancel(context.WithoutCancel(ctx))
	go maintain(jobs, pool, log, cfg.MaintainEvery, cfg.StallWindow, startup...)
	// Every instance delivers webhooks; they share the queue in PostgreSQL.
	go (&webhooks.Worker{DB: pool, Pepper: cfg.APIKeyPepper, AllowLoopback: cfg.WebhookAllowLoopback, Log: log}).Run(jobs)
	built = true
	return httpapi.New(d), func() { stopJobs(); closeLimits(); pool.Close(); closeTelemetry() }, nil
}

// operator allows catalog uploads to a caller holding uploads:write, which the router gives only
// to the web session of a user in public.operators (edge/internal/operators).
func operator(c echo.Context) (bool, error) {
	p, ok := httpapi.Principal(c)
	return ok && p.Has(auth.ScopeUploadsWrite), nil
}

// maintain runs the periodic SQL jobs every `every`: expiring queued imports, failing redeemed
// imports without progress for `stall` (IMPORT_STALLED), announcing silent devices, pruning full
// rate-limit buckets, pairing grants and import tokens an hour past their expiry, webhook
// deliveries after 30 days. Every
// instance may run them; they are idempotent. The
// startup jobs (marking the library's products) run at once and then each tick until they
// succeed, so a database that is down at start delays them instead of stopping the edge.
func maintain(ctx context.Context, pool *pgxpool.Pool, log *slog.Logger, every, stall time.Duration, startup ...func(context.Context) error) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		pending := startup[:0]
		for _, job := range startup {
			c, cancel := context.WithTimeout(ctx, 10*time.Second)
			if err := job(c); err != nil && ctx.Err() == nil {
				log.Warn("startup job failed; retrying", "err", err)
				pending = append(pending, job)
			}
			cancel()
		}
		startup = pending
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		for _, j := range []struct {
			q    string
			args []any
		}{
			{"select public.expire_imports()", nil},
			{"select public.fail_stalled_imports($1)", []any{stall}},
			{"select public.sweep_offline_devices()", nil},
			{"select public.prune_rate_limits()", nil},
			{"select * from public.prune_pairing_and_tokens()", nil},
			{"select public.prune_webhook_deliveries()", nil},
		} {
			c, cancel := context.WithTimeout(ctx, 10*time.Second)
			if _, err := pool.Exec(c, j.q, j.args...); err != nil && ctx.Err() == nil {
				log.Warn("maintenance job failed", "job", j.q, "err", err)
			}
			cancel()
		}
	}
}

// serve runs the server until ctx ends, then drains requests for up to 20 s.
func serve(ctx context.Context, ln net.Listener, h http.Handler, log *slog.Logger) error {
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 5 * time.Second, ReadTimeout: 30 * time.Second,
		WriteTimeout: 60 * time.Second, IdleTimeout: 120 * time.Second, MaxHeaderBytes: 32 << 10}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	log.Info("listening", "addr", ln.Addr().String())
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	log.Info("shutting down")
	sctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		return err
	}
	if err := <-errc; !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}
