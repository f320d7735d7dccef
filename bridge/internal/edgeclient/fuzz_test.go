package edgeclient

import (
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/octanebridge/octane-bridge/bridge/internal/fault"
	"github.com/octanebridge/octane-bridge/internal/apierror"
)

var fuzzNow = time.Date(2026, 12, 2, 12, 0, 0, 0, time.UTC)

// FuzzParseRetryAfter: a server's Retry-After never parks the bridge for more than 10 minutes
// or asks it to wait a negative time, delta-seconds are read exactly (up to the cap, however
// many digits), and HTTP dates count from now.
func FuzzParseRetryAfter(f *testing.F) {
	for _, s := range []string{"", "0", "7", " 7 ", "599", "600", "601", "99999", "-5", "+5", "1.5", "soon",
		"9223372036", "9223372037", "18446744073", "99999999999999999999", "0x10",
		fuzzNow.Add(20 * time.Second).Format(http.TimeFormat), fuzzNow.Add(-time.Hour).Format(http.TimeFormat),
		fuzzNow.Add(48 * time.Hour).Format(http.TimeFormat), "Wed, 02 Dec 2026 12:00:30 GMT", "Wednesday, 02-Dec-26 12:00:30 GMT",
		"Wed Dec  2 12:00:30 2026", "Wed, 31 Dec 9999 23:59:59 GMT"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, v string) {
		d := parseRetryAfter(v, fuzzNow)
		if d < 0 || d > 10*time.Minute {
			t.Fatalf("Retry-After %q gave %v", v, d)
		}
		s := strings.TrimSpace(v)
		if s != "" && strings.Trim(s, "0123456789") == "" { // RFC 9110 delta-seconds
			want := 10 * time.Minute
			if n, err := strconv.ParseUint(strings.TrimLeft(s, "0")+"0", 10, 64); err == nil && n/10 < 600 {
				want = time.Duration(n/10) * time.Second
			}
			if d != want {
				t.Fatalf("Retry-After %q gave %v, want %v", v, d, want)
			}
			return
		}
		if at, err := http.ParseTime(s); err == nil {
			if want := min(max(at.Sub(fuzzNow), 0), 10*time.Minute); d != want {
				t.Fatalf("Retry-After %q gave %v, want %v", v, d, want)
			}
		}
	})
}

// FuzzDecodeErrors: any error answer from the edge or PostgREST (status, body, Retry-After)
// becomes an *Error with a stable UPPER_SNAKE code and bounded text; a well-formed edge error
// keeps its own code and request id; Retryable follows the code alone.
func FuzzDecodeErrors(f *testing.F) {
	seeds := []struct {
		status int
		body   string
		after  string
	}{
		{429, `{"error":{"code":"RATE_LIMIT_EXCEEDED","message":"too many","request_id":"r1"}}`, "7"},
		{400, `{"error":{"code":"lowercase","message":"x"}}`, ""},
		{500, `<html>oops</html>`, ""},
		{503, `{"error":{"code":"SERVICE_UNAVAILABLE","message":"later","request_id":"r"}}`, "3"},
		{401, ``, ""},
		{409, `{"code":"P0001","message":"ILLEGAL_TRANSITION","details":"done -> queued"}`, ""},
		{400, `{"code":"P0001","message":"DEVICE_NOT_FOUND"}`, ""},
		{403, `{"code":"42501","message":"permission denied for function"}`, ""},
		{401, `{"code":"PGRST301","message":"JWT expired"}`, ""},
		{400, `{"code":"P0001","message":"not an upper code"}`, ""},
		{200, `{"error":{"code":"A"}}`, ""},
		{418, `{"error":{"code":"` + strings.Repeat("A", 70) + `","message":"` + strings.Repeat("é", 400) + `","request_id":"` + strings.Repeat("r", 300) + `"}}`, "9223372037"},
		{429, `{"error":{"code":"RATE_LIMIT_EXCEEDED","message":"\u0000\ud800"}}`, "Wed, 02 Dec 2026 12:00:30 GMT"},
		{999, `{"error":null}`, "-1"},
		{0, `[1,2,3]`, ""},
		{502, `{"error":{"code":"AUTH_FAILED"},"error":{"code":"X"}}`, ""},
	}
	for _, s := range seeds {
		f.Add(s.status, []byte(s.body), s.after)
	}
	f.Fuzz(func(t *testing.T, status int, body []byte, after string) {
		resp := &http.Response{StatusCode: status, Header: http.Header{"Retry-After": {after}}}
		for i, e := range []*Error{decodeEdgeError(resp, body), decodeRESTError(resp, body)} {
			if e == nil || !reCode.MatchString(string(e.Code)) {
				t.Fatalf("decoder %d: code %+v", i, e)
			}
			if e.Status != status || e.RetryAfter < 0 || e.RetryAfter > 10*time.Minute {
				t.Fatalf("decoder %d: status %d retry after %v", i, e.Status, e.RetryAfter)
			}
			if len(e.Msg) > 300+len("illegal status transition ")+100 || len(e.RequestID) > 100 {
				t.Fatalf("decoder %d: unbounded text (%d, %d bytes)", i, len(e.Msg), len(e.RequestID))
			}
			if fault.Retryable(e) != (e.Code == CodeNetwork || e.Code == CodeServiceUnavailable || e.Code == CodeRateLimited) {
				t.Fatalf("decoder %d: fault.Retryable(%s) = %v", i, e.Code, fault.Retryable(e))
			}
			if fault.CodeOf(e) != e.Code || e.Error() == "" {
				t.Fatalf("decoder %d: CodeOf %q", i, fault.CodeOf(e))
			}
		}
		// A well-formed edge error keeps its code, message and request id (clipped).
		var env apierror.Body
		if json.Unmarshal(body, &env) == nil && reCode.MatchString(string(env.Error.Code)) {
			e := decodeEdgeError(resp, body)
			if e.Code != env.Error.Code || !strings.HasPrefix(env.Error.Message, e.Msg) || !strings.HasPrefix(env.Error.RequestID, e.RequestID) {
				t.Fatalf("edge error %q read as %+v", body, e)
			}
		}
	})
}
