package main

import (
	"context"
	"io"
	"net"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestRunRefusesBadSettings(t *testing.T) {
	t.Parallel()
	env := func(string) string { return "" }
	for _, args := range [][]string{
		{"-addr", "0.0.0.0:12113"},
		{"-addr", "example.com:12113"},
		{"-addr", "127.0.0.1:0", "-retry-delays", "1s,soon"},
		{"-addr", "127.0.0.1:0", "-webhook-url", "http://127.0.0.1:8787/v1/stripe/webhook"}, // no secret
	} {
		if err := run(context.Background(), args, env, io.Discard); err == nil {
			t.Errorf("%v: accepted", args)
		}
	}
}

func TestRunServesUntilCancelled(t *testing.T) {
	t.Parallel()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	state := filepath.Join(t.TempDir(), "state.json")
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"-addr", addr, "-state", state}, func(string) string { return "" }, io.Discard)
	}()
	var body string
	for end := time.Now().Add(10 * time.Second); time.Now().Before(end); time.Sleep(50 * time.Millisecond) {
		req, _ := http.NewRequest(http.MethodGet, "http://"+addr+"/v1/prices/price_pro_monthly", nil)
		req.SetBasicAuth("sk_test_123", "")
		if resp, err := http.DefaultClient.Do(req); err == nil {
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			body = string(b)
			break
		}
	}
	if !strings.Contains(body, `"unit_amount":1200`) {
		t.Fatalf("seeded price = %q", body)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}
