package main

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
)

// With OTEL_EXPORTER_OTLP_ENDPOINT set, the running edge exports its request spans and metrics
// to that collector (flushed at shutdown); SENTRY_DSN is accepted alongside.
func TestRunExportsTelemetryWhenConfigured(t *testing.T) {
	var mu sync.Mutex
	got := map[string]int{}
	collector := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		got[r.Method+" "+r.URL.Path]++
		mu.Unlock()
		w.Header().Set("Content-Type", "application/x-protobuf")
	}))
	defer collector.Close()
	e := startEdge(t, map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": collector.URL, "OTEL_SERVICE_NAME": "edge-test",
		"SENTRY_DSN": "http://publickey@" + strings.TrimPrefix(collector.URL, "http://") + "/1"})
	resp := e.call(t, func() (*http.Response, error) { return http.Get("http://" + e.addr + "/healthz") })
	resp.Body.Close()
	e.cancel()
	select {
	case err := <-e.done:
		if err != nil {
			t.Fatalf("run: %v\n%s", err, e.out.String())
		}
	case <-time.After(25 * time.Second):
		t.Fatal("no graceful shutdown")
	}
	mu.Lock()
	defer mu.Unlock()
	if got["POST /v1/traces"] == 0 || got["POST /v1/metrics"] == 0 {
		t.Fatalf("collector saw %v", got)
	}
	if got["POST /api/1/envelope/"] != 0 {
		t.Fatalf("a Sentry event without a failure: %v", got)
	}
}

func TestVersionCommand(t *testing.T) {
	var out bytes.Buffer
	if err := run(context.Background(), []string{"edge", "--version"}, func(string) string { return "" }, &out); err != nil || out.String() != "edge dev\n" {
		t.Fatalf("%q %v", out.String(), err)
	}
}
