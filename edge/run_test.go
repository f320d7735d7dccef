package main

import (
	"bytes"
	"context"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/octanebridge/octane-bridge/edge/internal/ratelimit/redistest"
	"github.com/octanebridge/octane-bridge/internal/testenv"
)

type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}
func (l *lockedBuffer) String() string { l.mu.Lock(); defer l.mu.Unlock(); return l.b.String() }

func freeAddr(t *testing.T) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

func TestRunServesAndShutsDown(t *testing.T) {
	addr := freeAddr(t)
	env := map[string]string{
		"EDGE_ADDR": addr, "DATABASE_URL": testenv.DB(t), "SITE_URL": "http://127.0.0.1:3000",
		"SUPABASE_JWT_SECRET":   testenv.JWTSecret(),
		"IMPORT_TOKEN_KEYS":     "local-1:QN2coReBSxzBANSdzjaLAjkSr7A39nVFb2aHmtMBRMk=",
		"MANIFEST_SIGNING_KEYS": "local-1:xOMHR+sPVfMYyW9V4nvECQMOWvot+sdrY3IOw8Leihg=",
		"API_KEY_PEPPER":        "SsbA9fgZNigpm2FmFuYqFZTkcAl57jhfoxXvX4zhHdY=",
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	out := &lockedBuffer{}
	done := make(chan error, 1)
	go func() { done <- run(ctx, []string{"edge"}, func(k string) string { return env[k] }, out) }()
	var resp *http.Response
	var err error
	for range 100 {
		if resp, err = http.Get("http://" + addr + "/readyz"); err == nil {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	if err != nil {
		t.Fatalf("edge never answered: %v\n%s", err, out.String())
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("readyz %d", resp.StatusCode)
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("run: %v", err)
		}
	case <-time.After(25 * time.Second):
		t.Fatal("no graceful shutdown")
	}
	logs := out.String()
	if !strings.Contains(logs, `"msg":"shutting down"`) || strings.Contains(logs, "QN2coReBSxzB") || strings.Contains(logs, "SsbA9fg") {
		t.Fatalf("logs: %s", logs)
	}
}

func TestRunRejectsBadConfigAndCommands(t *testing.T) {
	empty := func(string) string { return "" }
	if err := run(context.Background(), []string{"edge"}, empty, &bytes.Buffer{}); err == nil || !strings.Contains(err.Error(), "DATABASE_URL") {
		t.Fatalf("empty config: %v", err)
	}
	if err := run(context.Background(), []string{"edge", "frobnicate"}, empty, &bytes.Buffer{}); err == nil {
		t.Fatal("unknown command accepted")
	}
}

// With REDIS_URL the edge keeps its rate-limit buckets in Redis instead of PostgreSQL.
func TestRunWithRedis(t *testing.T) {
	raddr, _ := redistest.Start(t)
	addr := freeAddr(t)
	env := map[string]string{
		"EDGE_ADDR": addr, "DATABASE_URL": testenv.DB(t), "SITE_URL": "http://127.0.0.1:3000",
		"SUPABASE_JWT_SECRET":   testenv.JWTSecret(),
		"IMPORT_TOKEN_KEYS":     "local-1:QN2coReBSxzBANSdzjaLAjkSr7A39nVFb2aHmtMBRMk=",
		"MANIFEST_SIGNING_KEYS": "local-1:xOMHR+sPVfMYyW9V4nvECQMOWvot+sdrY3IOw8Leihg=",
		"API_KEY_PEPPER":        "SsbA9fgZNigpm2FmFuYqFZTkcAl57jhfoxXvX4zhHdY=",
		"REDIS_URL":             "redis://" + raddr + "/0",
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	out := &lockedBuffer{}
	done := make(chan error, 1)
	go func() { done <- run(ctx, []string{"edge"}, func(k string) string { return env[k] }, out) }()
	var resp *http.Response
	var err error
	for range 100 {
		if resp, err = http.Post("http://"+addr+"/v1/devices/authorize", "application/json", strings.NewReader(`{"platform":"blender"}`)); err == nil {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	if err != nil {
		t.Fatalf("edge never answered: %v\n%s", err, out.String())
	}
	resp.Body.Close()
	if resp.StatusCode != 200 || resp.Header.Get("RateLimit") == "" {
		t.Fatalf("authorize: %d %v", resp.StatusCode, resp.Header)
	}
	c := redis.NewClient(&redis.Options{Addr: raddr})
	defer c.Close()
	if n, err := c.Exists(context.Background(), "octane:rl:anonymous:ip:127.0.0.1").Result(); err != nil || n != 1 {
		t.Fatalf("the anonymous bucket is not in Redis: %d %v\n%s", n, err, out.String())
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("run: %v", err)
	}
	if !strings.Contains(out.String(), "rate limits in Redis") {
		t.Fatalf("logs: %s", out.String())
	}
}
