package edgeclient

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/octanebridge/octane-bridge/bridge/internal/fault"
	"github.com/octanebridge/octane-bridge/internal/codes"
)

// fakeServer answers every request with the handler; the session's exchange always succeeds.
func fakeServer(t *testing.T, h http.HandlerFunc) *Client {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/v1/auth/token" {
			w.Header().Set("Content-Type", "application/json")
			io.WriteString(w, `{"access_token":"jwt","token_type":"bearer","expires_in":600,"expires_at":0,"device_id":"d","user_id":"u"}`)
			return
		}
		h(w, r)
	}))
	t.Cleanup(srv.Close)
	c := New(Config{EdgeURL: srv.URL, SupabaseURL: srv.URL, AnonKey: "anon"})
	c.after = func(time.Duration) <-chan time.Time { return time.After(time.Millisecond) }
	return c
}

func TestEdgeErrorsDecodeToStableCodes(t *testing.T) {
	cases := []struct {
		status    int
		header    string
		body      string
		code      string
		retryable bool
		after     time.Duration
	}{
		{429, "7", `{"error":{"code":"RATE_LIMIT_EXCEEDED","message":"too many","request_id":"r1"}}`, "RATE_LIMIT_EXCEEDED", true, 7 * time.Second},
		{429, "", `not json`, "RATE_LIMIT_EXCEEDED", true, 0},
		{429, "99999", `{}`, "RATE_LIMIT_EXCEEDED", true, 10 * time.Minute},
		{402, "", `{"error":{"code":"SUBSCRIPTION_REQUIRED","message":"pay","request_id":"r2"}}`, "SUBSCRIPTION_REQUIRED", false, 0},
		{409, "", `{"error":{"code":"CONFLICT","message":"no longer waiting","request_id":"r"}}`, "CONFLICT", false, 0},
		{400, "", `{"error":{"code":"lowercase","message":"x"}}`, "INVALID_INPUT", false, 0},
		{500, "", `<html>oops</html>`, "INTERNAL_ERROR", false, 0},
		{502, "", `<html>bad gateway</html>`, "SERVICE_UNAVAILABLE", true, 0},
		{503, "3", `{"error":{"code":"SERVICE_UNAVAILABLE","message":"later","request_id":"r"}}`, "SERVICE_UNAVAILABLE", true, 3 * time.Second},
		{401, "", ``, "AUTH_FAILED", false, 0},
	}
	for _, tc := range cases {
		c := fakeServer(t, func(w http.ResponseWriter, r *http.Request) {
			if tc.header != "" {
				w.Header().Set("Retry-After", tc.header)
			}
			w.WriteHeader(tc.status)
			io.WriteString(w, tc.body)
		})
		_, err := c.Reissue(context.Background(), c.NewSession("k"), "id")
		if string(fault.CodeOf(err)) != tc.code || fault.Retryable(err) != tc.retryable || fault.RetryAfter(err) != tc.after {
			t.Errorf("%d %q: code %q retryable %v after %v (%v)", tc.status, tc.body, fault.CodeOf(err), fault.Retryable(err), fault.RetryAfter(err), err)
		}
		var e *Error
		if errors.As(err, &e) && strings.Contains(tc.body, "request_id") && e.RequestID == "" {
			t.Errorf("%d: request_id lost", tc.status)
		}
	}
}

func TestRESTErrorsDecodeToStableCodes(t *testing.T) {
	cases := []struct {
		status int
		body   string
		code   string
	}{
		{400, `{"code":"P0001","message":"NOT_FOUND","details":null,"hint":null}`, "NOT_FOUND"},
		{400, `{"code":"P0001","message":"ILLEGAL_TRANSITION","details":"done -> downloading"}`, "CONFLICT"},
		{400, `{"code":"P0001","message":"DEVICE_NOT_FOUND"}`, "NOT_FOUND"},
		{400, `{"code":"P0001","message":"free text, not a code"}`, "INVALID_INPUT"},
		{403, `{"code":"42501","message":"unknown or revoked device"}`, "INSUFFICIENT_PERMISSIONS"},
		{401, `{"code":"PGRST303","message":"JWT expired"}`, "AUTH_FAILED"},
		{404, `{"code":"PGRST202","message":"Could not find the function"}`, "NOT_FOUND"},
		{503, `{"code":"PGRST000","message":"Database client error"}`, "SERVICE_UNAVAILABLE"},
		{500, `[]`, "INTERNAL_ERROR"},
	}
	for _, tc := range cases {
		c := fakeServer(t, func(w http.ResponseWriter, r *http.Request) {
			if r.Header.Get("apikey") != "anon" || r.Header.Get("Authorization") != "Bearer jwt" {
				t.Errorf("rpc headers %v", r.Header)
			}
			w.WriteHeader(tc.status)
			io.WriteString(w, tc.body)
		})
		err := c.ReportStatus(context.Background(), c.NewSession("k"), "id", "downloading", 5, "", "")
		if string(fault.CodeOf(err)) != tc.code {
			t.Errorf("%d %s: %q (%v)", tc.status, tc.body, fault.CodeOf(err), err)
		}
	}
}

func TestRefusedJWTIsExchangedOnceAndRetried(t *testing.T) {
	var calls atomic.Int32
	c := fakeServer(t, func(w http.ResponseWriter, r *http.Request) {
		if calls.Add(1) == 1 {
			w.WriteHeader(401)
			io.WriteString(w, `{"code":"PGRST303","message":"JWT expired"}`)
			return
		}
		io.WriteString(w, `"2026-01-01T00:00:00Z"`)
	})
	if err := c.Heartbeat(context.Background(), c.NewSession("k"), Blender{}); err != nil || calls.Load() != 2 {
		t.Fatalf("err %v after %d calls", err, calls.Load())
	}
}

func TestNetworkAndCancellation(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	url := srv.URL
	srv.Close()
	c := New(Config{EdgeURL: url, SupabaseURL: url, AnonKey: "anon"})
	_, err := c.Authorize(context.Background(), DeviceInfo{Platform: "blender"})
	if fault.CodeOf(err) != CodeNetwork || !fault.Retryable(err) {
		t.Fatalf("closed server: %v", err)
	}
	if strings.Contains(err.Error(), "http://") {
		t.Fatalf("error names the URL: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := c.Authorize(ctx, DeviceInfo{Platform: "blender"}); !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled: %v", err)
	}
}

func TestPollTokenOutcomes(t *testing.T) {
	for _, tc := range []struct {
		answers []string
		code    codes.Code
	}{
		{[]string{"authorization_pending", "access_denied"}, CodeAccessDenied},
		{[]string{"expired_token"}, CodeExpiredToken},
		{[]string{"invalid_grant"}, CodeInvalidGrant},
		{[]string{"500", "authorization_pending", "ok"}, ""},
	} {
		var n atomic.Int32
		c := fakeServer(t, func(w http.ResponseWriter, r *http.Request) {
			a := tc.answers[min(int(n.Add(1))-1, len(tc.answers)-1)]
			switch a {
			case "ok":
				io.WriteString(w, `{"api_key":"oct_live_x","device_id":"d","user_id":"u"}`)
			case "500":
				w.WriteHeader(500)
			default:
				w.WriteHeader(400)
				io.WriteString(w, `{"error":"`+a+`"}`)
			}
		})
		k, err := c.PollToken(context.Background(), Authorization{DeviceCode: "dc", Interval: 5 * time.Second, ExpiresIn: time.Minute})
		if fault.CodeOf(err) != tc.code || (tc.code == "" && k.APIKey != "oct_live_x") {
			t.Errorf("%v: %+v %v", tc.answers, k, err)
		}
	}
}

func TestPollTokenStopsAtExpiry(t *testing.T) {
	c := fakeServer(t, func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(400)
		io.WriteString(w, `{"error":"authorization_pending"}`)
	})
	now := time.Now()
	c.now = func() time.Time { return now }
	c.after = func(d time.Duration) <-chan time.Time { now = now.Add(d); return time.After(time.Millisecond) }
	_, err := c.PollToken(context.Background(), Authorization{DeviceCode: "dc", Interval: 5 * time.Second, ExpiresIn: 30 * time.Second, issued: now})
	if fault.CodeOf(err) != CodeExpiredToken {
		t.Fatalf("%v", err)
	}
}

func TestParseRetryAfterDate(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	if d := parseRetryAfter(now.Add(20*time.Second).Format(http.TimeFormat), now); d != 20*time.Second {
		t.Fatalf("%v", d)
	}
	if d := parseRetryAfter("-5", now); d != 0 {
		t.Fatalf("%v", d)
	}
	if d := parseRetryAfter("soon", now); d != 0 {
		t.Fatalf("%v", d)
	}
}
