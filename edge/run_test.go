package main

import (
	"bytes"
	"context"
	"maps"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/octanebridge/octane-bridge/edge/internal/ratelimit/redistest"
	"github.com/octanebridge/octane-bridge/internal/testenv"
)

// runningEdge is run started in the background with the test configuration.
type runningEdge struct {
	addr   string
	out    *testenv.LogBuffer
	cancel context.CancelFunc
	done   chan error
}

func startEdge(t *testing.T, extra map[string]string) *runningEdge {
	t.Helper()
	addr := testenv.FreeAddr(t)
	env := map[string]string{
		"EDGE_ADDR": addr, "DATABASE_URL": testenv.DB(t), "SITE_URL": "http://127.0.0.1:3000",
		"SUPABASE_JWT_SECRET":   testenv.JWTSecret(),
		"IMPORT_TOKEN_KEYS":     "local-1:QN2coReBSxzBANSdzjaLAjkSr7A39nVFb2aHmtMBRMk=",
		"MANIFEST_SIGNING_KEYS": "local-1:xOMHR+sPVfMYyW9V4nvECQMOWvot+sdrY3IOw8Leihg=",
		"API_KEY_PEPPER":        "SsbA9fgZNigpm2FmFuYqFZTkcAl57jhfoxXvX4zhHdY=",
	}
	maps.Copy(env, extra)
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	e := &runningEdge{addr: addr, out: &testenv.LogBuffer{}, cancel: cancel, done: make(chan error, 1)}
	go func() { e.done <- run(ctx, []string{"edge"}, func(k string) string { return env[k] }, e.out) }()
	return e
}

// call repeats req until the edge answers (it may still be starting).
func (e *runningEdge) call(t *testing.T, req func() (*http.Response, error)) *http.Response {
	t.Helper()
	var resp *http.Response
	var err error
	for range 100 {
		if resp, err = req(); err == nil {
			return resp
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("edge never answered: %v\n%s", err, e.out.String())
	return nil
}

func TestRunServesAndShutsDown(t *testing.T) {
	e := startEdge(t, nil)
	resp := e.call(t, func() (*http.Response, error) { return http.Get("http://" + e.addr + "/readyz") })
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("readyz %d", resp.StatusCode)
	}
	e.cancel()
	select {
	case err := <-e.done:
		if err != nil {
			t.Fatalf("run: %v", err)
		}
	case <-time.After(25 * time.Second):
		t.Fatal("no graceful shutdown")
	}
	logs := e.out.String()
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
	e := startEdge(t, map[string]string{"REDIS_URL": "redis://" + raddr + "/0"})
	resp := e.call(t, func() (*http.Response, error) {
		return http.Post("http://"+e.addr+"/v1/devices/authorize", "application/json", strings.NewReader(`{"platform":"blender"}`))
	})
	resp.Body.Close()
	if resp.StatusCode != 200 || resp.Header.Get("RateLimit") == "" {
		t.Fatalf("authorize: %d %v", resp.StatusCode, resp.Header)
	}
	c := redis.NewClient(&redis.Options{Addr: raddr})
	defer c.Close()
	if n, err := c.Exists(context.Background(), "octane:rl:anonymous:ip:127.0.0.1").Result(); err != nil || n != 1 {
		t.Fatalf("the anonymous bucket is not in Redis: %d %v\n%s", n, err, e.out.String())
	}
	e.cancel()
	if err := <-e.done; err != nil {
		t.Fatalf("run: %v", err)
	}
	if !strings.Contains(e.out.String(), "rate limits in Redis") {
		t.Fatalf("logs: %s", e.out.String())
	}
}
