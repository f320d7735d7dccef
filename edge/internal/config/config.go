// Package config reads the edge's settings from the environment into one struct, validated at
// start. Secrets are kept as strings but never printed: LogValue masks them.
package config

import (
	"encoding/base64"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"strings"
	"time"
)

// Config is everything the edge reads from its environment.
type Config struct {
	Addr        string // EDGE_ADDR
	MetricsAddr string // METRICS_ADDR: the /metrics listener (default a free loopback port; "off" disables), never the API port
	Production  bool   // EDGE_ENV=production, or unset with a non-loopback EDGE_URL: development secrets and loopback URLs are refused
	// Rehearsal: production settings on one machine (EDGE_ALLOW_LOOPBACK=1 with a loopback EDGE_URL):
	// loopback URLs allowed, development secrets still refused. Only the production smoke test sets it.
	Rehearsal   bool
	EdgeURL     string // EDGE_URL: iss of device JWTs
	SiteURL     string // SITE_URL: the only CORS origin, pairing verification page
	DatabaseURL string // DATABASE_URL
	SupabaseURL string // SUPABASE_URL: JWKS and GoTrue admin
	ServiceKey  string // SUPABASE_SERVICE_ROLE_KEY
	JWTSecret   string // SUPABASE_JWT_SECRET

	ImportTokenKeys     string // IMPORT_TOKEN_KEYS kid:b64,...
	ManifestSigningKeys string // MANIFEST_SIGNING_KEYS kid:b64seed,...
	APIKeyPepper        []byte // API_KEY_PEPPER (base64)
	QueueWindow         time.Duration
	StallWindow         time.Duration // IMPORT_STALL_WINDOW: a redeemed import without progress this long fails (IMPORT_STALLED)
	MaintainEvery       time.Duration // MAINTENANCE_INTERVAL: how often the periodic SQL jobs run
	DownloadTTL         time.Duration // presigned GET lifetime, at most 300 s
	DeviceTokenTTL      time.Duration
	ClientIPHeader      string // CLIENT_IP_HEADER: the one header the platform sets; empty = socket address
	// WEBHOOK_ALLOW_LOOPBACK=1: webhook URLs may name this machine (http too), for the local stack
	// and tests; refused in production. Private and link-local addresses stay refused regardless.
	WebhookAllowLoopback bool

	RedisURL  string
	SentryDSN string // SENTRY_DSN: errors to Sentry; empty = off
	// SENTRY_ENVIRONMENT, else "production" or "development" after Production
	SentryEnvironment string
	// OpenTelemetry over OTLP/HTTP (otel.go): full URLs per signal, empty = that signal off
	OTLPTracesURL, OTLPMetricsURL string
	OTLPHeaders                   map[string]string // OTEL_EXPORTER_OTLP_HEADERS: often a vendor's API key
	OTelServiceName               string            // OTEL_SERVICE_NAME, default octane-edge
	LogLevel                      slog.Level

	S3Endpoint, S3Region, S3AccessKey, S3SecretKey, S3Bucket string
	StripeSecretKey, StripeAPIBase, StripeWebhookSecret      string
	StripeProductIDs                                         []string // STRIPE_PRODUCT_IDS: the library's own products, the only ones that entitle
}

// Load reads and validates the configuration.
func Load(getenv func(string) string) (Config, error) {
	get := func(k, def string) string {
		if v := strings.TrimSpace(getenv(k)); v != "" {
			return v
		}
		return def
	}
	var errs []error
	dur := func(k, def string) time.Duration {
		d, err := time.ParseDuration(get(k, def))
		if err != nil || d <= 0 {
			errs = append(errs, fmt.Errorf("%s: not a positive duration", k))
		}
		return d
	}
	c := Config{
		Addr:                get("EDGE_ADDR", "127.0.0.1:8787"),
		MetricsAddr:         get("METRICS_ADDR", "127.0.0.1:0"),
		EdgeURL:             strings.TrimRight(get("EDGE_URL", "http://127.0.0.1:8787"), "/"),
		SiteURL:             strings.TrimRight(get("SITE_URL", ""), "/"),
		DatabaseURL:         get("DATABASE_URL", ""),
		SupabaseURL:         strings.TrimRight(get("SUPABASE_URL", ""), "/"),
		ServiceKey:          get("SUPABASE_SERVICE_ROLE_KEY", ""),
		JWTSecret:           get("SUPABASE_JWT_SECRET", ""),
		ImportTokenKeys:     get("IMPORT_TOKEN_KEYS", ""),
		ManifestSigningKeys: get("MANIFEST_SIGNING_KEYS", ""),
		QueueWindow:         dur("IMPORT_QUEUE_WINDOW", "15m"),
		StallWindow:         dur("IMPORT_STALL_WINDOW", "10m"),
		MaintainEvery:       dur("MAINTENANCE_INTERVAL", "30s"),
		DownloadTTL:         dur("DOWNLOAD_URL_TTL", "300s"),
		DeviceTokenTTL:      dur("DEVICE_TOKEN_TTL", "10m"),
		ClientIPHeader:      get("CLIENT_IP_HEADER", ""),
		RedisURL:            get("REDIS_URL", ""),
		SentryDSN:           get("SENTRY_DSN", ""),
		S3Endpoint:          get("S3_ENDPOINT", ""),
		S3Region:            get("S3_REGION", ""), // empty: the AWS chain's region (AWS_REGION)
		S3AccessKey:         get("S3_ACCESS_KEY", ""),
		S3SecretKey:         get("S3_SECRET_KEY", ""),
		S3Bucket:            get("S3_BUCKET", ""),
		StripeSecretKey:     get("STRIPE_SECRET_KEY", ""),
		StripeAPIBase:       get("STRIPE_API_BASE", ""),
		StripeWebhookSecret: get("STRIPE_WEBHOOK_SECRET", ""),
		StripeProductIDs:    ProductIDs(get("STRIPE_PRODUCT_IDS", "")),
	}
	if err := c.LogLevel.UnmarshalText([]byte(get("LOG_LEVEL", "info"))); err != nil {
		errs = append(errs, errors.New("LOG_LEVEL: debug, info, warn or error"))
	}
	for k, v := range map[string]string{"DATABASE_URL": c.DatabaseURL, "SUPABASE_JWT_SECRET": c.JWTSecret,
		"IMPORT_TOKEN_KEYS": c.ImportTokenKeys, "MANIFEST_SIGNING_KEYS": c.ManifestSigningKeys, "SITE_URL": c.SiteURL} {
		if v == "" {
			errs = append(errs, fmt.Errorf("%s is required", k))
		}
	}
	if c.MetricsAddr == "off" {
		c.MetricsAddr = ""
	} else if c.MetricsAddr == c.Addr {
		errs = append(errs, errors.New("METRICS_ADDR: must not be the API address (EDGE_ADDR)"))
	}
	prod, err := isProduction(get("EDGE_ENV", ""), c.EdgeURL)
	if err != nil {
		errs = append(errs, err)
	}
	c.Production = prod
	c.SentryEnvironment = get("SENTRY_ENVIRONMENT", map[bool]string{true: "production", false: "development"}[prod])
	c.OTelServiceName = get("OTEL_SERVICE_NAME", "octane-edge")
	var otlpErrs []error
	c.OTLPTracesURL, c.OTLPMetricsURL, c.OTLPHeaders, otlpErrs = otlp(get)
	errs = append(errs, otlpErrs...)
	if c.SentryDSN != "" {
		if u, err := url.Parse(c.SentryDSN); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.User == nil || u.Host == "" {
			errs = append(errs, errors.New("SENTRY_DSN: a DSN like https://<key>@<host>/<project>"))
		}
	}
	switch get("WEBHOOK_ALLOW_LOOPBACK", "0") {
	case "0":
	case "1":
		c.WebhookAllowLoopback = true
		if prod {
			errs = append(errs, errors.New("WEBHOOK_ALLOW_LOOPBACK: not in production (customers' webhooks must not reach this machine)"))
		}
	default:
		errs = append(errs, errors.New("WEBHOOK_ALLOW_LOOPBACK: 1 or unset"))
	}
	if prod {
		errs = append(errs, refuseDevSecrets(getenv)...)
		var loopErrs []error
		c.Rehearsal, loopErrs = refuseLoopback(c, getenv)
		errs = append(errs, loopErrs...)
	}
	if c.RedisURL != "" && !strings.HasPrefix(c.RedisURL, "redis://") && !strings.HasPrefix(c.RedisURL, "rediss://") {
		errs = append(errs, errors.New("REDIS_URL: a redis:// or rediss:// URL"))
	}
	if len(c.JWTSecret) > 0 && len(c.JWTSecret) < 32 {
		errs = append(errs, errors.New("SUPABASE_JWT_SECRET: at least 32 characters"))
	}
	pepper, err := base64.StdEncoding.DecodeString(get("API_KEY_PEPPER", ""))
	if err != nil || len(pepper) < 32 {
		errs = append(errs, errors.New("API_KEY_PEPPER: base64 of at least 32 bytes"))
	}
	c.APIKeyPepper = pepper
	for k, v := range map[string]string{"SITE_URL": c.SiteURL, "EDGE_URL": c.EdgeURL} {
		if u, err := url.Parse(v); v != "" && (err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "") {
			errs = append(errs, fmt.Errorf("%s: not an http(s) URL", k))
		}
	}
	if c.StripeSecretKey != "" && c.StripeWebhookSecret != "" && len(c.StripeProductIDs) == 0 {
		errs = append(errs, errors.New("STRIPE_PRODUCT_IDS: the library's Stripe product ids (comma separated) are required with Stripe"))
	}
	for _, id := range c.StripeProductIDs {
		if !strings.HasPrefix(id, "prod_") {
			errs = append(errs, fmt.Errorf("STRIPE_PRODUCT_IDS: %q is not a Stripe product id (prod_…)", id))
		}
	}
	if c.DownloadTTL > 300*time.Second {
		errs = append(errs, errors.New("DOWNLOAD_URL_TTL: at most 300s"))
	}
	if c.DeviceTokenTTL > 15*time.Minute {
		errs = append(errs, errors.New("DEVICE_TOKEN_TTL: at most 15m"))
	}
	return c, errors.Join(errs...)
}

// ProductIDs splits a comma-separated list of Stripe product ids, dropping blanks.
func ProductIDs(s string) []string {
	var ids []string
	for _, id := range strings.Split(s, ",") {
		if id = strings.TrimSpace(id); id != "" {
			ids = append(ids, id)
		}
	}
	return ids
}

func mask(s string) string {
	if s == "" {
		return ""
	}
	return "***"
}

func maskURL(s string) string {
	u, err := url.Parse(s)
	if err != nil {
		return "***"
	}
	if _, ok := u.User.Password(); ok {
		u.User = url.UserPassword(u.User.Username(), "***")
	}
	return u.Redacted()
}

// LogValue is what slog prints: no secret ever appears.
func (c Config) LogValue() slog.Value {
	return slog.GroupValue(
		slog.String("addr", c.Addr), slog.String("metrics_addr", c.MetricsAddr), slog.Bool("production", c.Production), slog.Bool("rehearsal", c.Rehearsal),
		slog.String("edge_url", c.EdgeURL), slog.String("site_url", c.SiteURL),
		slog.String("database_url", maskURL(c.DatabaseURL)), slog.String("supabase_url", c.SupabaseURL),
		slog.String("jwt_secret", mask(c.JWTSecret)), slog.String("service_role_key", mask(c.ServiceKey)),
		slog.String("import_token_keys", mask(c.ImportTokenKeys)), slog.String("manifest_signing_keys", mask(c.ManifestSigningKeys)),
		slog.String("api_key_pepper", mask(string(c.APIKeyPepper))), slog.Duration("queue_window", c.QueueWindow),
		slog.Duration("download_ttl", c.DownloadTTL), slog.String("redis", maskURL(c.RedisURL)),
		slog.Bool("sentry", c.SentryDSN != ""), slog.String("sentry_environment", c.SentryEnvironment),
		slog.String("otlp_traces", maskURL(c.OTLPTracesURL)), slog.String("otlp_metrics", maskURL(c.OTLPMetricsURL)),
		slog.Int("otlp_headers", len(c.OTLPHeaders)), slog.String("otel_service_name", c.OTelServiceName),
		slog.String("s3_endpoint", c.S3Endpoint), slog.String("s3_bucket", c.S3Bucket),
		slog.String("s3_secret_key", mask(c.S3SecretKey)), slog.String("stripe_api_base", c.StripeAPIBase),
		slog.String("stripe_secret_key", mask(c.StripeSecretKey)), slog.String("stripe_webhook_secret", mask(c.StripeWebhookSecret)),
		slog.Any("stripe_product_ids", c.StripeProductIDs),
		slog.Bool("webhook_allow_loopback", c.WebhookAllowLoopback),
	)
}

// String masks secrets too, so fmt and %v are as safe as slog.
func (c Config) String() string { return c.LogValue().String() }
