package agent

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/octanebridge/octane-bridge/bridge/internal/httpx"
	"github.com/octanebridge/octane-bridge/bridge/internal/stdio"
)

// endpoints are the service URLs the bridge talks to.
type endpoints struct {
	Site     string
	Edge     string
	Supabase string
	AnonKey  string
}

// resolveEndpoints takes the URLs from hello; what is missing comes from the site's
// /.well-known/octane-bridge.json, so artists only ever type the site's address.
func resolveEndpoints(ctx context.Context, hc *http.Client, h stdio.Hello) (endpoints, error) {
	e := endpoints{Site: strings.TrimRight(h.SiteURL, "/"), Edge: strings.TrimRight(h.EdgeURL, "/"),
		Supabase: strings.TrimRight(h.SupabaseURL, "/"), AnonKey: h.SupabaseAnonKey}
	if e.Edge == "" || e.Supabase == "" || e.AnonKey == "" {
		if e.Site == "" {
			return e, fmt.Errorf("hello carries neither site_url nor edge_url, supabase_url and supabase_anon_key")
		}
		if err := checkURL(e.Site); err != nil {
			return e, fmt.Errorf("site_url: %w", err)
		}
		var wk struct {
			EdgeURL         string `json:"edge_url"`
			SupabaseURL     string `json:"supabase_url"`
			SupabaseAnonKey string `json:"supabase_anon_key"`
		}
		ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		defer cancel()
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, e.Site+"/.well-known/octane-bridge.json", nil)
		resp, err := hc.Do(req)
		if err != nil {
			return e, fmt.Errorf("cannot reach %s to learn the service addresses: %w", e.Site, err)
		}
		defer resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			return e, fmt.Errorf("%s/.well-known/octane-bridge.json answered %d", e.Site, resp.StatusCode)
		}
		if err := json.NewDecoder(io.LimitReader(resp.Body, 64<<10)).Decode(&wk); err != nil {
			return e, fmt.Errorf("%s/.well-known/octane-bridge.json is not valid JSON", e.Site)
		}
		e.Edge = cmp.Or(e.Edge, strings.TrimRight(wk.EdgeURL, "/"))
		e.Supabase = cmp.Or(e.Supabase, strings.TrimRight(wk.SupabaseURL, "/"))
		e.AnonKey = cmp.Or(e.AnonKey, wk.SupabaseAnonKey)
	}
	for name, u := range map[string]string{"edge_url": e.Edge, "supabase_url": e.Supabase} {
		if err := checkURL(u); err != nil {
			return e, fmt.Errorf("%s: %w", name, err)
		}
	}
	if e.AnonKey == "" {
		return e, fmt.Errorf("supabase_anon_key is missing")
	}
	return e, nil
}

// checkURL allows https anywhere and plain http only to this machine (the local stack).
func checkURL(raw string) error {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		return fmt.Errorf("%q is not an absolute URL", raw)
	}
	if !httpx.SecureURL(raw) {
		return fmt.Errorf("%q must use https", raw)
	}
	return nil
}

// realtimeURL turns https://x.supabase.co into wss://x.supabase.co/realtime/v1/websocket.
func realtimeURL(supabase string) string {
	u, _ := url.Parse(supabase)
	if u.Scheme == "https" {
		u.Scheme = "wss"
	} else {
		u.Scheme = "ws"
	}
	u.Path = strings.TrimRight(u.Path, "/") + "/realtime/v1/websocket"
	return u.String()
}

// ResolveEndpoints applies the hello rule to the add-on's settings outside a session (the doctor):
// what is missing comes from the site's /.well-known/octane-bridge.json.
func ResolveEndpoints(ctx context.Context, hc *http.Client, site, edge, supabase, anonKey string) (edgeURL, supabaseURL, key string, err error) {
	e, err := resolveEndpoints(ctx, hc, stdio.Hello{SiteURL: site, EdgeURL: edge, SupabaseURL: supabase, SupabaseAnonKey: anonKey})
	return e.Edge, e.Supabase, e.AnonKey, err
}
