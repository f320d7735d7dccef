package edgeclient

import (
	"encoding/json"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/octanebridge/octane-bridge/bridge/internal/fault"
	"github.com/octanebridge/octane-bridge/internal/apierror"
	"github.com/octanebridge/octane-bridge/internal/codes"
)

// Codes this package produces besides the edge's own (AUTH_FAILED, INVALID_TOKEN, NOT_FOUND, ...).
const (
	CodeNetwork            = codes.Network            // transport failure: retry
	CodeAccessDenied       = codes.AccessDenied       // RFC 8628 access_denied: the user declined
	CodeExpiredToken       = codes.ExpiredToken       // RFC 8628 expired_token: the pairing code timed out
	CodeInvalidGrant       = codes.InvalidGrant       // RFC 8628 invalid_grant: unknown or used device code
	CodeUnexpected         = codes.UnexpectedResponse // a body this client cannot read
	CodeServiceUnavailable = codes.ServiceUnavailable
	CodeRateLimited        = codes.RateLimitExceeded
	CodeAuthFailed         = codes.AuthFailed
	CodeConflict           = codes.Conflict
	CodeInsufficient       = codes.InsufficientPermissions
	CodeInternal           = codes.InternalError
)

// Error (the bridge's one coded error, package fault, with Status, RequestID and RetryAfter) is
// every failure this package returns (context cancellation aside, which is returned as is).
type Error = fault.Error

var reCode = regexp.MustCompile(`^[A-Z][A-Z0-9_]{1,63}$`)

// decodeEdgeError reads the edge's error body (apierror.Body); anything else becomes a code
// derived from the status, so callers always get a stable code.
func decodeEdgeError(resp *http.Response, body []byte) *Error {
	e := &Error{Status: resp.StatusCode, RetryAfter: parseRetryAfter(resp.Header.Get("Retry-After"), time.Now())}
	var env apierror.Body
	if json.Unmarshal(body, &env) == nil && reCode.MatchString(string(env.Error.Code)) {
		e.Code, e.Msg, e.RequestID = env.Error.Code, clip(env.Error.Message, 300), clip(env.Error.RequestID, 100)
		return e
	}
	e.Code = codeForStatus(resp.StatusCode)
	e.Msg = "HTTP " + strconv.Itoa(resp.StatusCode)
	return e
}

// decodeRESTError reads PostgREST's {"code","message","details","hint"}. SQL functions raise
// UPPER_SNAKE messages with P0001; those are the codes. Other errors map by status.
func decodeRESTError(resp *http.Response, body []byte) *Error {
	e := &Error{Status: resp.StatusCode, RetryAfter: parseRetryAfter(resp.Header.Get("Retry-After"), time.Now())}
	var pe struct {
		Code    string `json:"code"`
		Message string `json:"message"`
		Details string `json:"details"`
	}
	if json.Unmarshal(body, &pe) == nil && pe.Code != "" {
		e.Msg = clip(pe.Message, 300)
		switch {
		case pe.Code == "P0001" && reCode.MatchString(pe.Message):
			// A raise code stands for itself or, per schemas/codes.json, for the API code it is
			// reported as (ILLEGAL_TRANSITION is a CONFLICT, DEVICE_NOT_FOUND a NOT_FOUND).
			e.Code = codes.Code(pe.Message)
			if r := e.Code.Info().ReportedAs; r != "" {
				e.Code = r
			}
			if pe.Message == string(codes.IllegalTransition) {
				e.Msg = "illegal status transition " + clip(pe.Details, 100)
			}
		case pe.Code == "42501":
			e.Code = CodeInsufficient
		case strings.HasPrefix(pe.Code, "PGRST3"): // JWT missing, invalid or expired
			e.Code = CodeAuthFailed
		default:
			e.Code = codeForStatus(resp.StatusCode)
		}
		return e
	}
	e.Code = codeForStatus(resp.StatusCode)
	e.Msg = "HTTP " + strconv.Itoa(resp.StatusCode)
	return e
}

func codeForStatus(s int) codes.Code {
	switch {
	case s == http.StatusUnauthorized:
		return CodeAuthFailed
	case s == http.StatusForbidden:
		return CodeInsufficient
	case s == http.StatusNotFound:
		return codes.NotFound
	case s == http.StatusConflict:
		return CodeConflict
	case s == http.StatusPaymentRequired:
		return codes.SubscriptionRequired
	case s == http.StatusTooManyRequests:
		return CodeRateLimited
	case s == http.StatusBadGateway || s == http.StatusServiceUnavailable || s == http.StatusGatewayTimeout:
		return CodeServiceUnavailable
	case s >= 500:
		return CodeInternal
	case s >= 400:
		return codes.InvalidInput
	}
	return CodeUnexpected
}

// parseRetryAfter reads delta-seconds or an HTTP date; capped at 10 minutes so a hostile or broken
// server cannot park the bridge.
func parseRetryAfter(v string, now time.Time) time.Duration {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0
	}
	const limit = 10 * time.Minute
	var d time.Duration
	if strings.Trim(v, "0123456789") == "" {
		// delta-seconds: any number of digits; one beyond int64 (or whose nanoseconds would
		// overflow) is simply a long wait, not zero.
		n, err := strconv.ParseUint(v, 10, 64)
		if err != nil || n > uint64(limit/time.Second) {
			return limit
		}
		d = time.Duration(n) * time.Second
	} else if n, err := strconv.Atoi(v); err == nil {
		d = time.Duration(min(max(n, 0), 1<<20)) * time.Second // "+5", "-5"
	} else if t, err := http.ParseTime(v); err == nil {
		d = t.Sub(now)
	}
	return min(max(d, 0), limit)
}

func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n]
}
