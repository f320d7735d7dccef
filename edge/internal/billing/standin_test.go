package billing

import (
	"context"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/octanebridge/octane-bridge/internal/testenv"
)

// startStandin builds and runs the project's Supabase stand-in on a free loopback port over a
// fresh database, and returns its base URL. The process is stopped when the test ends.
func startStandin(t *testing.T) string {
	t.Helper()
	db := testenv.DB(t)
	goBin, err := exec.LookPath("go")
	if err != nil {
		goBin = filepath.Join(runtime.GOROOT(), "bin", "go")
	}
	root, _ := filepath.Abs("../../..")
	bin := filepath.Join(t.TempDir(), "standin")
	build := exec.Command(goBin, "build", "-o", bin, "./supabase/local")
	build.Dir = root
	build.Env = append(os.Environ(), "GOFLAGS=-mod=mod")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("build stand-in: %v\n%s", err, out)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	cmd := exec.Command(bin, "-addr", addr)
	cmd.Env = append(os.Environ(), "DATABASE_URL="+db, "SUPABASE_JWT_SECRET="+testenv.JWTSecret(), "LOG_LEVEL=warn")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	base := "http://" + addr
	for deadline := time.Now().Add(15 * time.Second); ; {
		if r, err := http.Get(base + "/health"); err == nil {
			r.Body.Close()
			if r.StatusCode == 200 {
				return base
			}
		}
		if time.Now().After(deadline) {
			t.Fatal("stand-in did not become healthy")
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func serviceRoleKey(t *testing.T) string {
	return testenv.SignHS256(t, testenv.JWTSecret(), jwt.MapClaims{
		"iss": "supabase-demo", "role": "service_role", "exp": time.Now().Add(time.Hour).Unix(),
	})
}

// gotrue-go against the stand-in's GoTrue admin API, as the edge uses it in production.
func TestGoTrueDirectoryAgainstTheStandin(t *testing.T) {
	t.Parallel()
	base := startStandin(t)
	dir := NewGoTrueDirectory(base, serviceRoleKey(t), 5*time.Second)
	email, err := dir.Email(context.Background(), freeUser)
	if err != nil || email != "free@octane.local" {
		t.Fatalf("email = %q, %v", email, err)
	}
	if _, err := NewGoTrueDirectory(base, "not-a-key", 5*time.Second).Email(context.Background(), freeUser); err == nil {
		t.Fatal("the admin API answered without the service role key")
	}
}
