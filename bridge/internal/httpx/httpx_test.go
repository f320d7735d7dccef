package httpx

import (
	"crypto/tls"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"
)

func TestNewClientTLSFloorAndVerification(t *testing.T) {
	tr := NewTransport()
	if tr.TLSClientConfig.MinVersion != tls.VersionTLS12 || tr.TLSClientConfig.InsecureSkipVerify {
		t.Fatalf("tls config %+v", tr.TLSClientConfig)
	}
	// A self-signed server must be refused: verification is on.
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "hi") }))
	defer srv.Close()
	c := NewClient(5 * time.Second)
	if _, err := c.Get(srv.URL); err == nil || !strings.Contains(err.Error(), "certificate") {
		t.Fatalf("self-signed server accepted: %v", err)
	}
	if c.Timeout != 5*time.Second {
		t.Fatalf("timeout %v", c.Timeout)
	}
}

func TestProxyReport(t *testing.T) {
	proxyURL, _ := url.Parse("http://user:pw@proxy.example:3128")
	fn := func(r *http.Request) (*url.URL, error) {
		if r.URL.Hostname() == "127.0.0.1" { // as NO_PROXY would
			return nil, nil
		}
		return proxyURL, nil
	}
	if got := proxyReport("https://api.example.com/v1", fn); got != "http://user:xxxxx@proxy.example:3128" {
		t.Fatalf("https via proxy: %q", got)
	}
	if got := proxyReport("https://127.0.0.1:8787/", fn); got != "direct" {
		t.Fatalf("NO_PROXY: %q", got)
	}
	if got := proxyReport("::bad", fn); got != "invalid URL" {
		t.Fatalf("bad URL: %q", got)
	}
	// The real environment reader answers for any URL without panicking.
	if got := ProxyReport("http://127.0.0.1:1/"); got == "" {
		t.Fatal("empty report")
	}
}
