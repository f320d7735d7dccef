// Package testenv gives integration tests the real local services that `make test` starts:
// a fresh PostgreSQL database cloned from the migrated template, versitygw and stripe-mock.
//
// A missing service skips the test with a setup hint on a laptop and fails it when CI=true, so
// CI can never go green by skipping.
package testenv

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

const setupHint = "run `make test` (or `scripts/services.sh start && scripts/db.sh template`) to start the local services"

// Require marks a test as needing a service that is not there.
func Require(t TB, what, hint string) {
	t.Helper()
	msg := fmt.Sprintf("%s is not available: %s", what, hint)
	if os.Getenv("CI") == "true" {
		t.Fatal(msg)
	}
	t.Skip(msg)
}

func getenv(key, fallback string) string {
	if v := os.Getenv(key); v != "" {
		return v
	}
	return fallback
}

// AdminURL is the superuser URL of the project's cluster.
func AdminURL() string {
	return getenv("OCTANE_PG_URL", "postgres://postgres:postgres@127.0.0.1:54322/postgres?sslmode=disable")
}

func reachable(hostport string) bool {
	c, err := net.DialTimeout("tcp", hostport, 500*time.Millisecond)
	if err != nil {
		return false
	}
	c.Close()
	return true
}

// DB creates a fresh database from the migrated, seeded template and returns its superuser URL.
// The database is dropped when the test ends.
func DB(t TB) string {
	t.Helper()
	return database(t, "test_"+randomHex(8))
}

// database creates the database name from the template, dropped when t ends.
func database(t TB, name string) string {
	t.Helper()
	admin := AdminURL()
	u, err := url.Parse(admin)
	if err != nil {
		t.Fatalf("OCTANE_PG_URL: %v", err)
	}
	if !reachable(u.Host) {
		Require(t, "PostgreSQL at "+u.Host, setupHint)
	}
	template := getenv("OCTANE_PG_TEMPLATE", "octane_template")
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, admin)
	if err != nil {
		Require(t, "PostgreSQL", err.Error())
	}
	defer conn.Close(ctx)
	var exists bool
	if err := conn.QueryRow(ctx, "select exists (select 1 from pg_database where datname = $1)", template).Scan(&exists); err != nil || !exists {
		Require(t, "template database "+template, "run `scripts/db.sh template`")
	}
	// CREATE DATABASE ... TEMPLATE fails while another session is cloning the same template;
	// packages run in parallel, so retry briefly.
	for attempt := 0; ; attempt++ {
		_, err = conn.Exec(ctx, fmt.Sprintf("create database %s template %s", name, pgx.Identifier{template}.Sanitize()))
		if err == nil {
			break
		}
		if attempt > 50 || !strings.Contains(err.Error(), "being accessed by other users") {
			t.Fatalf("create test database: %v", err)
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		c, err := pgx.Connect(ctx, admin)
		if err != nil {
			t.Logf("drop test database: %v", err)
			return
		}
		defer c.Close(ctx)
		if _, err := c.Exec(ctx, fmt.Sprintf("drop database if exists %s with (force)", name)); err != nil {
			t.Logf("drop test database: %v", err)
		}
	})
	u.Path = "/" + name
	return u.String()
}

// DropOrphanDatabases drops the databases named <prefix><pid>_… whose process is gone: left
// behind by a stack command that was killed before it could clean up.
func DropOrphanDatabases(prefix string) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, AdminURL())
	if err != nil {
		return
	}
	defer conn.Close(ctx)
	rows, err := conn.Query(ctx, "select datname from pg_database where starts_with(datname, $1)", prefix)
	if err != nil {
		return
	}
	names, _ := pgx.CollectRows(rows, pgx.RowTo[string])
	for _, name := range names {
		pid, _, ok := strings.Cut(strings.TrimPrefix(name, prefix), "_")
		n, err := strconv.Atoi(pid)
		if !ok || err != nil || processAlive(n) {
			continue
		}
		conn.Exec(ctx, fmt.Sprintf("drop database if exists %s with (force)", pgx.Identifier{name}.Sanitize()))
	}
}

func processAlive(pid int) bool {
	p, err := os.FindProcess(pid)
	if err != nil {
		return false
	}
	err = p.Signal(syscall.Signal(0))
	return err == nil || errors.Is(err, syscall.EPERM)
}

// S3Config describes the local S3 (versitygw).
type S3Config struct {
	Endpoint, Region, AccessKey, SecretKey, Bucket string
}

// S3 returns the local S3 endpoint, or skips/fails when it is not running.
func S3(t TB) S3Config {
	t.Helper()
	c := S3Config{
		Endpoint:  getenv("S3_ENDPOINT", "http://127.0.0.1:9000"),
		Region:    getenv("S3_REGION", "us-east-1"),
		AccessKey: getenv("S3_ACCESS_KEY", "octanelocal"),
		SecretKey: getenv("S3_SECRET_KEY", "octanelocalsecret"),
		Bucket:    getenv("S3_BUCKET", "octane-packages"),
	}
	u, err := url.Parse(c.Endpoint)
	if err != nil || !reachable(u.Host) {
		Require(t, "S3 (versitygw) at "+c.Endpoint, setupHint)
	}
	return c
}

// StripeBase returns the stripe-mock base URL, or skips/fails when it is not running.
func StripeBase(t TB) string {
	t.Helper()
	base := getenv("STRIPE_API_BASE", "http://127.0.0.1:12111")
	u, err := url.Parse(base)
	if err != nil || !reachable(u.Host) {
		Require(t, "stripe-mock at "+base, setupHint)
	}
	return base
}

// JWTSecret is the local stack's Supabase JWT secret.
func JWTSecret() string {
	return getenv("SUPABASE_JWT_SECRET", "super-secret-jwt-token-with-at-least-32-characters-long")
}

func randomHex(n int) string {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic(err)
	}
	return hex.EncodeToString(b)
}

// DemoPackage is the path of the committed demo package of a shader, as catalog/demo/catalog.json
// (the demo catalog's index) names it: regenerating the catalog bumps versions, so tests never
// spell a version.
func DemoPackage(shaderID string) (string, error) {
	root, err := RepoRoot()
	if err != nil {
		return "", err
	}
	raw, err := os.ReadFile(filepath.Join(root, "catalog", "demo", "catalog.json"))
	if err != nil {
		return "", err
	}
	var idx struct {
		Shaders []struct {
			ShaderID string `json:"shader_id"`
			Package  string `json:"package"`
		} `json:"shaders"`
	}
	if err := json.Unmarshal(raw, &idx); err != nil {
		return "", fmt.Errorf("catalog/demo/catalog.json: %w", err)
	}
	for _, s := range idx.Shaders {
		if s.ShaderID == shaderID {
			return filepath.Join(root, "catalog", "demo", filepath.FromSlash(s.Package)), nil
		}
	}
	return "", fmt.Errorf("catalog/demo/catalog.json has no shader %q", shaderID)
}

// ReadDemoPackage is DemoPackage's path and the package's bytes, failing the test when either is
// missing.
func ReadDemoPackage(t testing.TB, shaderID string) (string, []byte) {
	t.Helper()
	path, err := DemoPackage(shaderID)
	if err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return path, b
}
