package webhooks

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"
)

// TestSignatureMatchesTheSpecVector: the Standard Webhooks specification's example (also what
// the reference libraries sign), so a receiver using any of them verifies our deliveries.
func TestSignatureMatchesTheSpecVector(t *testing.T) {
	got, err := Signature("msg_p5jXN8AQM9LWM0D4loKWxJek", time.Unix(1614265330, 0), []byte(`{"test": 2432232314}`),
		"whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")
	if err != nil || got != "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=" {
		t.Fatalf("Signature = %q, %v", got, err)
	}
	two, err := Signature("msg_p5jXN8AQM9LWM0D4loKWxJek", time.Unix(1614265330, 0), []byte(`{"test": 2432232314}`),
		NewSecret(), "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")
	if err != nil || !strings.HasSuffix(two, " v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=") || strings.Count(two, "v1,") != 2 {
		t.Fatalf("two secrets: %q, %v", two, err)
	}
	for _, bad := range []string{"MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "whsec_not base64!", "whsec_c2hvcnQ="} {
		if _, err := Signature("msg_x", time.Now(), nil, bad); err == nil {
			t.Errorf("Signature accepted the secret %q", bad)
		}
	}
	if s := NewSecret(); !strings.HasPrefix(s, SecretPrefix) || len(s) != len(SecretPrefix)+44 || Masked(s) != "whsec_…"+s[len(s)-4:] {
		t.Errorf("NewSecret/Masked: %q %q", s, Masked(s))
	}
}

// TestSealedSecretsOpenOnlyForTheirEndpoint: a secret is unreadable without the pepper's key,
// and a ciphertext moved to another endpoint's row does not open.
func TestSealedSecretsOpenOnlyForTheirEndpoint(t *testing.T) {
	s := newSealer([]byte("pepper-pepper-pepper-pepper-pepper"))
	a, b := uuid.New(), uuid.New()
	box := s.seal("whsec_abc", a[:])
	if got, err := s.open(box, a[:]); err != nil || got != "whsec_abc" {
		t.Fatalf("open = %q, %v", got, err)
	}
	if strings.Contains(string(box), "whsec_abc") {
		t.Error("the sealed box contains the secret")
	}
	if _, err := s.open(box, b[:]); err == nil {
		t.Error("a box opened for another endpoint")
	}
	if _, err := newSealer([]byte("another-pepper-another-pepper!!")).open(box, a[:]); err == nil {
		t.Error("a box opened under another pepper")
	}
	if _, err := s.open(box[:5], a[:]); err == nil {
		t.Error("a truncated box opened")
	}
}

// TestCheckURLRefuses is the registration half of threat 35.
func TestCheckURLRefuses(t *testing.T) {
	for _, u := range []string{
		"", "not a url", "/relative", "ftp://example.com/x", "http://example.com/hook", // https only
		"https://user:pw@example.com/", "https://example.com/#frag",
		"http://169.254.169.254/latest/meta-data/", "https://169.254.169.254/", // link-local (cloud metadata)
		"https://10.0.0.1/", "https://172.16.5.4/", "https://192.168.1.1/", "https://[fd00::1]/", // private
		"https://127.0.0.1/", "https://localhost/", "https://api.localhost/", "https://[::1]/", // loopback
		"https://[fe80::1]/", "https://0.0.0.0/", "https://[::]/", "https://100.64.0.1/", "https://224.0.0.1/",
		"https://[::ffff:10.0.0.1]/", "https://[64:ff9b::a00:1]/", "https://" + strings.Repeat("a", 2048) + ".com/",
	} {
		if err := CheckURL(u, false); err == nil {
			t.Errorf("CheckURL(%q) accepted it", u)
		}
	}
	for _, u := range []string{"https://hooks.example.com/octane", "https://93.184.216.34:8443/x?y=1", "https://[2606:4700::1]/"} {
		if err := CheckURL(u, false); err != nil {
			t.Errorf("CheckURL(%q): %v", u, err)
		}
	}
	// Local configuration admits loopback (http too), never the private or link-local networks.
	for _, u := range []string{"http://127.0.0.1:8080/hook", "https://localhost/x", "http://[::1]:9/"} {
		if err := CheckURL(u, true); err != nil {
			t.Errorf("CheckURL(%q, loopback allowed): %v", u, err)
		}
	}
	for _, u := range []string{"http://10.0.0.1/", "https://169.254.169.254/", "http://example.com/"} {
		if err := CheckURL(u, true); err == nil {
			t.Errorf("CheckURL(%q, loopback allowed) accepted it", u)
		}
	}
}

type fakeDNS map[string][]string

func (f fakeDNS) LookupNetIP(_ context.Context, _, host string) ([]netip.Addr, error) {
	var out []netip.Addr
	for _, s := range f[host] {
		out = append(out, netip.MustParseAddr(s))
	}
	if len(out) == 0 {
		return nil, errors.New("no such host")
	}
	return out, nil
}

// TestDialerChecksWhatTheNameResolvesTo is the send-time half of threat 35: a public-looking
// name that resolves to a private, loopback or link-local address (or to a mix, as DNS rebinding
// does) is refused before any connection, and an allowed name is dialled at the checked address.
func TestDialerChecksWhatTheNameResolvesTo(t *testing.T) {
	dns := fakeDNS{
		"internal.example": {"10.1.2.3"}, "metadata.example": {"169.254.169.254"}, "self.example": {"127.0.0.1"},
		"rebind.example": {"93.184.216.34", "192.168.0.10"}, "v6.example": {"fe80::1"},
		"mapped.example": {"::ffff:127.0.0.1"}, "public.example": {"93.184.216.34"},
	}
	var dialled []string
	d := Dialer{Resolver: dns, Dial: func(_ context.Context, _, addr string) (net.Conn, error) {
		dialled = append(dialled, addr)
		return nil, errors.New("test: not connecting")
	}}
	for _, host := range []string{"internal.example", "metadata.example", "self.example", "rebind.example", "v6.example", "mapped.example", "10.0.0.7", "[::1]"} {
		if _, err := d.DialContext(context.Background(), "tcp", net.JoinHostPort(strings.Trim(host, "[]"), "443")); !errors.Is(err, errAddress) {
			t.Errorf("%s: %v, want the address refusal", host, err)
		}
	}
	if _, err := d.DialContext(context.Background(), "tcp", "nowhere.example:443"); !errors.Is(err, errLookup) {
		t.Errorf("unresolvable name: %v", err)
	}
	if len(dialled) != 0 {
		t.Fatalf("refused hosts were dialled: %v", dialled)
	}
	_, _ = d.DialContext(context.Background(), "tcp", "public.example:443")
	if len(dialled) != 1 || dialled[0] != "93.184.216.34:443" {
		t.Fatalf("public.example dialled %v, want the checked address", dialled)
	}
	d.AllowLoopback = true
	dialled = nil
	_, _ = d.DialContext(context.Background(), "tcp", "self.example:80")
	if _, err := d.DialContext(context.Background(), "tcp", "internal.example:80"); !errors.Is(err, errAddress) || len(dialled) != 1 {
		t.Fatalf("loopback allowed: private still refused (%v), loopback dialled (%v)", err, dialled)
	}
}

// TestSendFollowsNoRedirect: a 3xx is the attempt's answer (a failure in the log), never a
// second request, so an allowed URL cannot redirect a delivery into the edge's network; a name
// that resolves to a private address is refused at send time even though it passed registration.
func TestSendFollowsNoRedirect(t *testing.T) {
	var inner atomic.Int32
	target := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { inner.Add(1) }))
	defer target.Close()
	redirect := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, target.URL+"/internal", http.StatusTemporaryRedirect)
	}))
	defer redirect.Close()
	seal := newSealer([]byte("pepper"))
	ep := uuid.New()
	c := claimed{ID: uuid.New(), Endpoint: ep, MessageID: "msg_" + strings.Repeat("a", 32), Payload: []byte(`{"type":"device.paired"}`),
		Attempts: 1, URL: redirect.URL + "/hook", Secret: seal.seal(NewSecret(), ep[:])}
	w := &Worker{AllowLoopback: true, Now: time.Now}
	status, _, failure := w.send(context.Background(), seal, w.Client(), c)
	if status != http.StatusTemporaryRedirect || !strings.Contains(failure, "redirects are not followed") || inner.Load() != 0 {
		t.Fatalf("redirect: status %d, %q, target hit %d times", status, failure, inner.Load())
	}

	// Registration accepted hook.example; at send time it resolves into the private network.
	w = &Worker{Resolver: fakeDNS{"hook.example": {"10.20.30.40"}}, Now: time.Now}
	c.URL = "https://hook.example/x"
	status, _, failure = w.send(context.Background(), seal, w.Client(), c)
	if status != 0 || failure != errAddress.Error() {
		t.Fatalf("private name: status %d, %q", status, failure)
	}
	// Without the local flag, loopback is refused even when the URL was stored earlier.
	c.URL = target.URL + "/hook"
	if status, _, failure = w.send(context.Background(), seal, w.Client(), c); status != 0 || inner.Load() != 0 || failure == "" {
		t.Fatalf("loopback without the flag: status %d, %q, target hit %d times", status, failure, inner.Load())
	}
}

// TestSendCapsThePayload: a payload over MaxBody is never sent; the attempt fails with words
// for the delivery log (payloads are far smaller; the cap bounds what a bug could push out).
func TestSendCapsThePayload(t *testing.T) {
	var hits atomic.Int32
	target := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { hits.Add(1) }))
	defer target.Close()
	seal := newSealer([]byte("pepper"))
	ep := uuid.New()
	c := claimed{ID: uuid.New(), Endpoint: ep, MessageID: "msg_" + strings.Repeat("b", 32), Attempts: 1,
		URL: target.URL + "/hook", Secret: seal.seal(NewSecret(), ep[:])}
	w := &Worker{AllowLoopback: true, Now: time.Now}
	c.Payload = []byte(`{"type":"device.paired","data":{"name":"` + strings.Repeat("x", MaxBody) + `"}}`)
	if status, _, failure := w.send(context.Background(), seal, w.Client(), c); status != 0 || !strings.Contains(failure, "exceeds") || hits.Load() != 0 {
		t.Fatalf("oversized payload: status %d, %q, target hit %d times", status, failure, hits.Load())
	}
	c.Payload = []byte(`{"type":"device.paired","data":{}}`)
	if status, _, failure := w.send(context.Background(), seal, w.Client(), c); status != http.StatusOK || failure != "" || hits.Load() != 1 {
		t.Fatalf("small payload: status %d, %q, target hit %d times", status, failure, hits.Load())
	}
}
