// Command local is the Supabase stand-in for development and tests: /auth/v1 (GoTrue subset),
// /rest/v1 (PostgREST subset) and /realtime/v1 (Phoenix channels) over the project's real
// PostgreSQL, configured with the same env names as production. See docs/local-stack.md.
package main

import (
	"cmp"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"embed"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"os"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/octanebridge/octane-bridge/internal/cli"
	"github.com/octanebridge/octane-bridge/supabase"
	"github.com/octanebridge/octane-bridge/supabase/local/internal/auth"
	"github.com/octanebridge/octane-bridge/supabase/local/internal/claims"
	"github.com/octanebridge/octane-bridge/supabase/local/internal/pg"
	"github.com/octanebridge/octane-bridge/supabase/local/internal/realtime"
	"github.com/octanebridge/octane-bridge/supabase/local/internal/rest"
)

// The stand-in's own shims (30_* and later); the lead's base shims come with the template.
//
//go:embed sql/3*.sql
var shims embed.FS

func main() {
	cli.Run("supabase-standin", func(ctx context.Context) error { return run(ctx, os.Args[1:], os.Getenv, os.Stdout) })
}

type config struct {
	Addr        string
	DatabaseURL string
	JWTSecret   string
	JWTExpiry   time.Duration
	ReuseWindow time.Duration
	PublicURL   string
	SiteURL     string
	LogLevel    slog.Level
	MaxConns    int32
	// ES256Key (PEM, from JWT_ES256_PRIVATE_KEY) or JWTAlg=ES256 (key generated at start) makes
	// the stand-in sign user sessions with ES256 and publish the key in jwks.json.
	JWTAlg   string
	ES256Key string
	// Auth is supabase/config.toml's [auth] (compiled in); JWTExpiry, ReuseWindow and SiteURL
	// start from it and the env names above override them.
	Auth supabase.AuthSettings
}

func loadConfig(args []string, getenv func(string) string) (config, error) {
	fl := flag.NewFlagSet("supabase-standin", flag.ContinueOnError)
	addr := fl.String("addr", cmp.Or(getenv("STANDIN_ADDR"), "127.0.0.1:54321"), "listen address (loopback)")
	if err := fl.Parse(args); err != nil {
		return config{}, err
	}
	cli, err := supabase.Load()
	if err != nil {
		return config{}, err
	}
	rules, err := cli.AuthSettings("")
	if err != nil {
		return config{}, err
	}
	c := config{
		Addr:        *addr,
		DatabaseURL: getenv("DATABASE_URL"),
		JWTSecret:   getenv("SUPABASE_JWT_SECRET"),
		JWTExpiry:   rules.JWTExpiry,
		ReuseWindow: rules.RefreshTokenReuse,
		SiteURL:     cmp.Or(getenv("SITE_URL"), rules.SiteURL),
		MaxConns:    16,
		Auth:        rules,
	}
	c.JWTAlg = cmp.Or(getenv("JWT_ALGORITHM"), "HS256")
	c.ES256Key = getenv("JWT_ES256_PRIVATE_KEY")
	if c.ES256Key != "" {
		c.JWTAlg = "ES256"
	}
	if c.JWTAlg != "HS256" && c.JWTAlg != "ES256" {
		return c, fmt.Errorf("JWT_ALGORITHM: want HS256 or ES256, got %q", c.JWTAlg)
	}
	if c.DatabaseURL == "" {
		return c, errors.New("DATABASE_URL is required")
	}
	if len(c.JWTSecret) < 32 {
		return c, errors.New("SUPABASE_JWT_SECRET must be at least 32 characters")
	}
	if v := getenv("JWT_EXPIRY"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n <= 0 {
			return c, fmt.Errorf("JWT_EXPIRY: want seconds, got %q", v)
		}
		c.JWTExpiry = time.Duration(n) * time.Second
	}
	if v := getenv("GOTRUE_MAILER_AUTOCONFIRM"); v != "" {
		// GoTrue's own switch (what `supabase start` derives from enable_confirmations).
		b, err := strconv.ParseBool(v)
		if err != nil {
			return c, fmt.Errorf("GOTRUE_MAILER_AUTOCONFIRM: want true or false, got %q", v)
		}
		c.Auth.EnableConfirmations = !b
	}
	if v := getenv("GOTRUE_SECURITY_REFRESH_TOKEN_REUSE_INTERVAL"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			return c, fmt.Errorf("GOTRUE_SECURITY_REFRESH_TOKEN_REUSE_INTERVAL: want seconds, got %q", v)
		}
		// 0 means no grace at all; auth treats a zero window as "use the default".
		c.ReuseWindow = max(time.Duration(n)*time.Second, time.Nanosecond)
	}
	host, port, err := net.SplitHostPort(c.Addr)
	if err != nil {
		return c, fmt.Errorf("addr: %w", err)
	}
	c.PublicURL = cmp.Or(getenv("API_EXTERNAL_URL"), "http://"+net.JoinHostPort(host, port))
	if err := c.LogLevel.UnmarshalText([]byte(cmp.Or(getenv("LOG_LEVEL"), "info"))); err != nil {
		return c, fmt.Errorf("LOG_LEVEL: %w", err)
	}
	return c, nil
}

func run(ctx context.Context, args []string, getenv func(string) string, stdout io.Writer) error {
	cfg, err := loadConfig(args, getenv)
	if err != nil {
		return err
	}
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: cfg.LogLevel}))
	db, err := pg.Open(ctx, cfg.DatabaseURL, cfg.MaxConns)
	if err != nil {
		return err
	}
	defer db.Close()
	if err := applyShims(ctx, db); err != nil {
		return fmt.Errorf("stand-in shims: %w", err)
	}
	keys := claims.New(cfg.JWTSecret, nil)
	if cfg.JWTAlg == "ES256" {
		if keys, err = withES256(keys, cfg.ES256Key); err != nil {
			return err
		}
	}
	mail := auth.NewMailbox(200)
	authSvc := auth.New(db, keys, auth.Config{JWTExpiry: cfg.JWTExpiry, Issuer: cfg.PublicURL + "/auth/v1",
		SiteURL: cfg.SiteURL, PublicURL: cfg.PublicURL + "/auth/v1", ReuseInterval: cfg.ReuseWindow, Rules: cfg.Auth, Log: log}, mail)
	restSvc, err := rest.New(ctx, db, keys, log)
	if err != nil {
		return err
	}
	rt := realtime.New(db, keys, log)
	if err := rt.Listen(ctx); err != nil {
		return fmt.Errorf("realtime listener: %w", err)
	}

	mux := http.NewServeMux()
	mux.Handle("/auth/v1/", apiKeyGate(keys, http.StripPrefix("/auth/v1", authSvc.Handler()), "/auth/v1/verify", "/auth/v1/.well-known/", "/auth/v1/health"))
	mux.Handle("/rest/v1/", apiKeyGate(keys, http.StripPrefix("/rest/v1", restSvc)))
	mux.Handle("/realtime/v1/", http.StripPrefix("/realtime/v1", rt.Handler()))
	mux.Handle("/mailbox", mail)
	mux.HandleFunc("/health", func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("ok\n")) })

	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return err
	}
	srv := &http.Server{Handler: cors(mux), ReadHeaderTimeout: 10 * time.Second, BaseContext: func(net.Listener) context.Context { return ctx }}
	fmt.Fprintf(stdout, "supabase stand-in listening on http://%s\n", ln.Addr())
	srvErr := make(chan error, 1)
	go func() { srvErr <- srv.Serve(ln) }()
	select {
	case <-ctx.Done():
	case err := <-srvErr:
		return err
	}
	shutdown, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	rt.Close()
	return srv.Shutdown(shutdown)
}

// withES256 loads the PEM key (EC P-256, SEC 1 or PKCS#8) or generates one for this run.
func withES256(keys *claims.Keys, pemKey string) (*claims.Keys, error) {
	var key *ecdsa.PrivateKey
	if pemKey == "" {
		k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		if err != nil {
			return nil, err
		}
		key = k
	} else {
		block, _ := pem.Decode([]byte(pemKey))
		if block == nil {
			return nil, errors.New("JWT_ES256_PRIVATE_KEY: no PEM block")
		}
		if k, err := x509.ParseECPrivateKey(block.Bytes); err == nil {
			key = k
		} else if k8, err := x509.ParsePKCS8PrivateKey(block.Bytes); err == nil {
			ek, ok := k8.(*ecdsa.PrivateKey)
			if !ok {
				return nil, errors.New("JWT_ES256_PRIVATE_KEY: not an EC key")
			}
			key = ek
		} else {
			return nil, fmt.Errorf("JWT_ES256_PRIVATE_KEY: %w", err)
		}
		if key.Curve != elliptic.P256() {
			return nil, errors.New("JWT_ES256_PRIVATE_KEY: want a P-256 key")
		}
	}
	der, err := x509.MarshalPKIXPublicKey(&key.PublicKey)
	if err != nil {
		return nil, err
	}
	sum := sha256.Sum256(der)
	return keys.WithES256(key, hex.EncodeToString(sum[:8])), nil
}

func applyShims(ctx context.Context, db *pg.DB) error {
	names, err := fs.Glob(shims, "sql/*.sql")
	if err != nil {
		return err
	}
	sort.Strings(names)
	for _, n := range names {
		b, err := shims.ReadFile(n)
		if err != nil {
			return err
		}
		if _, err := db.Pool.Exec(ctx, string(b)); err != nil {
			return fmt.Errorf("%s: %w", n, err)
		}
	}
	return nil
}

// apiKeyGate mirrors the API gateway in front of Supabase: requests need an apikey (header or
// query) that is one of the project's JWTs.
func apiKeyGate(keys *claims.Keys, next http.Handler, open ...string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		for _, p := range open {
			if strings.HasPrefix(r.URL.Path, p) {
				next.ServeHTTP(w, r)
				return
			}
		}
		key := r.Header.Get("apikey")
		if key == "" {
			key = r.URL.Query().Get("apikey")
		}
		if key == "" {
			writeGateError(w, "No API key found in request")
			return
		}
		if _, err := keys.Verify(key, false); err != nil {
			writeGateError(w, "Invalid API key")
			return
		}
		next.ServeHTTP(w, r)
	})
}

func writeGateError(w http.ResponseWriter, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusUnauthorized)
	fmt.Fprintf(w, `{"message":%q,"hint":"Double check your Supabase `+"`anon`"+` or `+"`service_role`"+` API key."}`, msg)
}

// cors lets the local web app (another origin) call the stand-in, as Supabase's gateway does.
func cors(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		if o := r.Header.Get("Origin"); o != "" {
			h.Set("Access-Control-Allow-Origin", "*")
			h.Set("Access-Control-Expose-Headers", "Content-Range, Content-Location, X-Total-Count, Link, x-sb-error-code, Preference-Applied")
			if r.Method == http.MethodOptions {
				h.Set("Access-Control-Allow-Methods", "GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS")
				h.Set("Access-Control-Allow-Headers", cmp.Or(r.Header.Get("Access-Control-Request-Headers"), "authorization, apikey, content-type, x-client-info, prefer, range, accept-profile, content-profile, x-supabase-api-version"))
				h.Set("Access-Control-Max-Age", "3600")
				w.WriteHeader(http.StatusOK)
				return
			}
		}
		next.ServeHTTP(w, r)
	})
}
