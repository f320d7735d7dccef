package agent

import (
	"net"
	"net/http"
	"net/url"
	"testing"
)

// Threat 16: the add-on's endpoints are https, or plain http only to this machine (the local
// stack); anything else is refused before the bridge connects.
func TestEndpointsMustUseHTTPSExceptLoopback(t *testing.T) {
	for _, u := range []string{"https://edge.example.com", "https://abc.supabase.co", "http://127.0.0.1:8787", "http://[::1]:54321", "http://localhost:54321"} {
		if err := checkURL(u); err != nil {
			t.Errorf("%s refused: %v", u, err)
		}
	}
	for _, u := range []string{"http://edge.example.com", "http://10.0.0.2:8787", "http://127.0.0.1.nip.io", "ws://edge.example.com",
		"ftp://edge.example.com", "//edge.example.com", "edge.example.com", "", "https://"} {
		if err := checkURL(u); err == nil {
			t.Errorf("%s accepted", u)
		}
	}
}

// FuzzCheckURL: an endpoint is accepted only if it parses as an absolute https URL, or an http
// URL whose host is loopback (an IP address or "localhost"); never a userinfo trick or another scheme.
func FuzzCheckURL(f *testing.F) {
	for _, s := range []string{"https://edge.example.com", "http://127.0.0.1:8787", "http://[::1]:54321", "http://localhost:54321",
		"http://127.0.0.1@evil.example", "http://evil.example#@127.0.0.1", "http://127.0.0.1.evil.example", "http://0x7f000001",
		"http://2130706433", "http://127.1", "HTTP://127.0.0.1", "https://", "http://[::ffff:127.0.0.1]", "http://localhost.", "javascript:alert(1)"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		if checkURL(raw) != nil {
			return
		}
		u, err := url.Parse(raw)
		if err != nil || u.Host == "" {
			t.Fatalf("%q accepted without a host", raw)
		}
		switch u.Scheme {
		case "https":
		case "http":
			h := u.Hostname()
			if ip := net.ParseIP(h); h != "localhost" && (ip == nil || !ip.IsLoopback()) {
				t.Fatalf("%q accepted: plain http to %q", raw, h)
			}
			// What Go's client will dial is that host, whatever precedes it.
			if req, err := http.NewRequest(http.MethodGet, raw, nil); err == nil && req.URL.Hostname() != h {
				t.Fatalf("%q: a request would go to %q", raw, req.URL.Hostname())
			}
		default:
			t.Fatalf("%q accepted with scheme %q", raw, u.Scheme)
		}
	})
}
