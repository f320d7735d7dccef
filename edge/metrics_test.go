package main

import (
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/octanebridge/octane-bridge/internal/testenv"
)

// /metrics is not on the API port: it has its own listener (METRICS_ADDR).
func TestMetricsAreOnlyOnTheMetricsListener(t *testing.T) {
	maddr := testenv.FreeAddr(t)
	e := startEdge(t, map[string]string{"METRICS_ADDR": maddr})
	get := func(url string) (int, string) {
		resp := e.call(t, func() (*http.Response, error) { return http.Get(url) })
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	if code, body := get("http://" + e.addr + "/metrics"); code != http.StatusNotFound || strings.Contains(body, "go_goroutines") {
		t.Fatalf("API port /metrics = %d %.200s, want 404", code, body)
	}
	code, body := get("http://" + maddr + "/metrics")
	if code != http.StatusOK || !strings.Contains(body, "edge_http_requests_total") || !strings.Contains(body, "go_goroutines") {
		t.Fatalf("metrics listener = %d %.300s", code, body)
	}
	if code, _ := get("http://" + maddr + "/v1/devices"); code != http.StatusNotFound {
		t.Fatalf("the metrics listener serves the API: %d", code)
	}
}
