package main

import (
	"bytes"
	"context"
	"net"
	"net/http"
	"testing"

	"github.com/octanebridge/octane-bridge/internal/testenv"
)

// `edge healthcheck` answers for a running edge and fails when none listens.
func TestHealthcheckCommand(t *testing.T) {
	e := startEdge(t, nil)
	resp := e.call(t, func() (*http.Response, error) { return http.Get("http://" + e.addr + "/healthz") })
	resp.Body.Close()
	env := func(addr string) func(string) string {
		return func(k string) string {
			if k == "EDGE_ADDR" {
				return addr
			}
			return ""
		}
	}
	for _, args := range [][]string{{"edge", "healthcheck"}, {"edge", "healthcheck", "/readyz"}} {
		var out bytes.Buffer
		if err := run(context.Background(), args, env(e.addr), &out); err != nil {
			t.Fatalf("%v: %v", args, err)
		}
	}
	_, port, _ := net.SplitHostPort(e.addr)
	if err := run(context.Background(), []string{"edge", "healthcheck"}, env("0.0.0.0:"+port), &bytes.Buffer{}); err != nil {
		t.Fatalf("an edge on every interface is asked on loopback: %v", err)
	}
	if err := run(context.Background(), []string{"edge", "healthcheck"}, env(testenv.FreeAddr(t)), &bytes.Buffer{}); err == nil {
		t.Fatal("healthy with nothing listening")
	}
	if err := run(context.Background(), []string{"edge", "healthcheck", "/v1/imports"}, env(e.addr), &bytes.Buffer{}); err == nil {
		t.Fatal("any path accepted")
	}
}
