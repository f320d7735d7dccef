package testenv

import (
	"context"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/jackc/pgx/v5"

	"github.com/octanebridge/octane-bridge/internal/shaderpkg"
)

// ProductionInfo is a stack started with production-like settings (ProductionStack).
type ProductionInfo struct {
	StackInfo
	// The fresh delivery keys: the edge signs with ManifestSigningKeys (so does the publisher);
	// a bridge built for this stack pins ManifestPublicKeys (-ldflags, as scripts/build-bridge.sh).
	ManifestSigningKeys, ManifestPublicKeys string
	// EdgeEnv is the edge's whole environment, for starting it again with one value changed.
	EdgeEnv map[string]string
	EdgeBin string
}

// ProductionStack starts the stand-in and the edge the way production runs them, on this
// machine: every secret freshly generated (JWT secret and the anon and service keys signed with
// it, import token keys, a manifest signing key, the API key pepper, a Stripe key and webhook
// secret, a database role with its own password, an S3 server of its own with fresh root
// credentials), user sessions signed with ES256 and verified by the edge through the JWKS, and
// the edge in EDGE_ENV=production. Nothing comes from .env.example or the test's environment
// (the suites export the local stack's values): the processes get a minimal environment. The
// one concession is EDGE_ALLOW_LOOPBACK=1, which lets the production edge use loopback URLs
// because its own EDGE_URL is loopback (edge/internal/config/production.go).
func ProductionStack(t testing.TB) ProductionInfo {
	t.Helper()
	root, err := RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	stripeBase := StripeBase(t)
	s3 := freshS3(t, root)
	// The role is created before the database so that its cleanup (LIFO) runs after the drop.
	role, password := freshRole(t)
	adminURL := DB(t)
	dbURL, err := url.Parse(adminURL)
	if err != nil {
		t.Fatal(err)
	}
	dbURL.User = url.UserPassword(role, password)
	bins, err := buildServers(root)
	if err != nil {
		t.Fatalf("build stack binaries: %v", err)
	}

	jwtSecret := randomB64(t, 48)
	mint := func(role string) string {
		return SignHS256(t, jwtSecret, jwt.MapClaims{"iss": "supabase", "ref": "smoketest",
			"role": role, "iat": time.Now().Unix(), "exp": time.Now().Add(24 * time.Hour).Unix()})
	}
	ecKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	ecDER, err := x509.MarshalECPrivateKey(ecKey)
	if err != nil {
		t.Fatal(err)
	}
	seed := make([]byte, ed25519.SeedSize)
	rand.Read(seed)
	kid := "prod-" + randomHex(3)
	signing, err := shaderpkg.NewSigningKeyring(kid, seed)
	if err != nil {
		t.Fatal(err)
	}
	info := ProductionInfo{
		StackInfo: StackInfo{AnonKey: mint("anon"), ServiceKey: mint("service_role"), JWTSecret: jwtSecret,
			DBURL: dbURL.String(), S3: s3},
		ManifestSigningKeys: kid + ":" + base64.StdEncoding.EncodeToString(seed),
		ManifestPublicKeys:  shaderpkg.FormatPublicKeys(signing.PublicKeys()),
		EdgeBin:             bins["edge"],
	}
	logf := func(s string) { t.Log(s) }
	start := func(mk func(addr string) *Process) *Process { return startProcess(t, "", FreeAddr(t), mk) }
	siteURL := "http://" + FreeAddr(t) // the site is not started; it is CORS origin and pairing page only
	info.Supabase = start(func(addr string) *Process {
		env := minimalEnv(map[string]string{"STANDIN_ADDR": addr, "DATABASE_URL": info.DBURL,
			"SUPABASE_JWT_SECRET": jwtSecret, "SITE_URL": siteURL, "LOG_LEVEL": "warn",
			"JWT_ES256_PRIVATE_KEY": string(pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: ecDER}))})
		return &Process{Name: "supabase stand-in", URL: "http://" + addr, bin: bins["supabase"], env: env, ready: "/auth/v1/health", log: logf}
	})
	info.SupabaseURL = info.Supabase.URL
	info.Edge = start(func(addr string) *Process {
		info.EdgeEnv = map[string]string{
			"EDGE_ENV": "production", "EDGE_ALLOW_LOOPBACK": "1",
			"EDGE_ADDR": addr, "EDGE_URL": "http://" + addr, "METRICS_ADDR": "off", "SITE_URL": siteURL,
			"DATABASE_URL": info.DBURL, "SUPABASE_URL": info.SupabaseURL,
			"SUPABASE_JWT_SECRET": jwtSecret, "SUPABASE_SERVICE_ROLE_KEY": info.ServiceKey,
			"IMPORT_TOKEN_KEYS":     "prod-" + randomHex(3) + ":" + randomB64(t, 32),
			"MANIFEST_SIGNING_KEYS": info.ManifestSigningKeys, "API_KEY_PEPPER": randomB64(t, 32),
			"S3_ENDPOINT": s3.Endpoint, "S3_REGION": s3.Region, "S3_ACCESS_KEY": s3.AccessKey,
			"S3_SECRET_KEY": s3.SecretKey, "S3_BUCKET": s3.Bucket,
			"STRIPE_SECRET_KEY": "sk_test_" + randomHex(12), "STRIPE_API_BASE": stripeBase,
			"STRIPE_WEBHOOK_SECRET": "whsec_" + randomHex(16), "STRIPE_PRODUCT_IDS": "prod_octane_pro",
			"LOG_LEVEL": "warn",
		}
		return &Process{Name: "edge", URL: "http://" + addr, bin: bins["edge"], env: minimalEnv(info.EdgeEnv), ready: "/readyz", log: logf}
	})
	info.EdgeURL = info.Edge.URL
	return info
}

// minimalEnv is what a container gets: a PATH and a HOME, not the test's environment (which
// carries the local stack's values), plus vars.
func minimalEnv(vars map[string]string) []string {
	env := []string{"PATH=" + os.Getenv("PATH"), "HOME=" + os.Getenv("HOME"), "TMPDIR=" + os.TempDir()}
	if d := os.Getenv("GOCOVERDIR"); d != "" {
		env = append(env, "GOCOVERDIR="+d)
	}
	for k, v := range vars {
		env = append(env, k+"="+v)
	}
	return env
}

// MinimalEnv is minimalEnv for tests that run a binary of the stack themselves.
func MinimalEnv(vars map[string]string) []string { return minimalEnv(vars) }

func randomB64(t testing.TB, n int) string {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return base64.StdEncoding.EncodeToString(b)
}

// freshRole creates a superuser login role with a random password (the local cluster's
// postgres/postgres is a development secret), dropped when the test ends.
func freshRole(t testing.TB) (role, password string) {
	t.Helper()
	if u, err := url.Parse(AdminURL()); err != nil || !reachable(u.Host) {
		Require(t, "PostgreSQL at "+AdminURL(), setupHint)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, AdminURL())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	role, password = "smoke_"+randomHex(6), randomHex(24)
	if _, err := conn.Exec(ctx, fmt.Sprintf("create role %s login superuser password '%s'", role, password)); err != nil {
		t.Fatalf("create role: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		c, err := pgx.Connect(ctx, AdminURL())
		if err != nil {
			t.Logf("drop role: %v", err)
			return
		}
		defer c.Close(ctx)
		if _, err := c.Exec(ctx, "drop role if exists "+role); err != nil {
			t.Logf("drop role %s: %v", role, err)
		}
	})
	return role, password
}

// freshS3 starts a versitygw of the test's own with fresh root credentials on a free port.
func freshS3(t testing.TB, root string) S3Config {
	t.Helper()
	bin, err := exec.LookPath("versitygw")
	if err != nil {
		bin = filepath.Join(root, ".local", "bin", "versitygw")
		if _, err := os.Stat(bin); err != nil {
			Require(t, "versitygw (the local S3)", setupHint)
		}
	}
	// The gateway keeps metadata in extended attributes; the repository's .local holds the
	// local S3 already, so its file system supports them.
	base := filepath.Join(root, ".local", "tmp")
	if err := os.MkdirAll(base, 0o700); err != nil {
		t.Fatal(err)
	}
	dir, err := os.MkdirTemp(base, "s3-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	c := S3Config{Region: "us-east-1", AccessKey: "AK" + strings.ToUpper(randomHex(9)), SecretKey: randomB64(t, 30), Bucket: "octane-packages"}
	if err := os.Mkdir(filepath.Join(dir, c.Bucket), 0o700); err != nil {
		t.Fatal(err)
	}
	for attempt := 1; ; attempt++ {
		addr := FreeAddr(t)
		cmd := exec.Command(bin, "--port", addr, "--region", c.Region, "posix", dir)
		cmd.Env = minimalEnv(map[string]string{"ROOT_ACCESS_KEY": c.AccessKey, "ROOT_SECRET_KEY": c.SecretKey})
		cmd.Stdout, cmd.Stderr = nil, nil
		if err := cmd.Start(); err != nil {
			t.Fatalf("start versitygw: %v", err)
		}
		done := make(chan struct{})
		go func() { cmd.Wait(); close(done) }()
		stop := func() {
			cmd.Process.Kill()
			<-done
		}
		deadline := time.Now().Add(20 * time.Second)
		for !reachable(addr) && time.Now().Before(deadline) {
			select {
			case <-done:
				deadline = time.Time{}
			case <-time.After(100 * time.Millisecond):
			}
		}
		if reachable(addr) {
			select {
			case <-done: // another process answers on the port
			default:
				t.Cleanup(stop)
				c.Endpoint = "http://" + addr
				return c
			}
		}
		stop()
		if attempt == 3 {
			t.Fatal("versitygw did not start")
		}
	}
}
