package main

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"time"
)

// healthcheck is `edge healthcheck [/healthz|/readyz]`, for runtimes that probe a container by
// running a command in it (Docker HEALTHCHECK, ECS, Nomad): the image has no shell and no curl.
// It asks this container's own edge (the port of EDGE_ADDR, on loopback when EDGE_ADDR listens on
// every interface) and fails unless the answer is 200 within 3 s.
func healthcheck(ctx context.Context, args []string, addr string, stdout io.Writer) error {
	path := "/healthz"
	if len(args) > 0 {
		path = args[0]
	}
	if path != "/healthz" && path != "/readyz" {
		return fmt.Errorf("healthcheck: /healthz or /readyz, not %q", path)
	}
	if addr == "" { // config.Load's default; an empty EDGE_ADDR is unset
		addr = "127.0.0.1:8787"
	}
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("healthcheck: EDGE_ADDR: %w", err)
	}
	if ip := net.ParseIP(host); host == "" || (ip != nil && ip.IsUnspecified()) {
		host = "127.0.0.1"
	}
	ctx, cancel := context.WithTimeout(ctx, 3*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+net.JoinHostPort(host, port)+path, nil)
	if err != nil {
		return err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("healthcheck: %w", err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("healthcheck: %s answered %d", path, resp.StatusCode)
	}
	_, err = fmt.Fprintln(stdout, path, "ok")
	return err
}
