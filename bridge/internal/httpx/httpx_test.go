package httpx

import (
	"crypto/tls"
	"errors"
	"fmt"
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

// A failed request's redacted error keeps what failed (operation, host, path, cause) and none of
// the credentials a URL can carry: a presigned signature or apikey in the query, a password, a
// fragment; its stripped error keeps only the cause. Other errors pass as they are.
func TestRedactError(t *testing.T) {
	_, err := NewClient(5 * time.Second).Get("http://user:pw@127.0.0.1:1/realtime/v1/websocket?apikey=anon-secret&X-Amz-Signature=sig#frag")
	got := RedactError(fmt.Errorf("realtime dial: %w", err)).Error()
	for _, secret := range []string{"anon-secret", "sig", "pw", "frag", "?"} {
		if strings.Contains(got, secret) {
			t.Fatalf("%q holds %q", got, secret)
		}
	}
	if !strings.HasPrefix(got, `Get "http://127.0.0.1:1/realtime/v1/websocket": `) || !strings.Contains(got, "refused") {
		t.Fatalf("redacted error %q", got)
	}
	if got := StripURL(fmt.Errorf("realtime dial: %w", err)).Error(); strings.Contains(got, "127.0.0.1:1/") || !strings.Contains(got, "refused") {
		t.Fatalf("stripped error %q", got)
	}
	plain := errors.New("no URL here")
	if RedactError(plain) != plain || StripURL(plain) != plain {
		t.Fatal("an error without a URL changed")
	}
	if Redact("::bad") != "<unparseable URL>" {
		t.Fatalf("unparseable URL: %q", Redact("::bad"))
	}
}
