// Package telemetry is what the edge reports to operators when they switch it on: errors to
// Sentry (SENTRY_DSN), traces and metrics over OTLP/HTTP (OTEL_EXPORTER_OTLP_ENDPOINT), and the
// spans around PostgreSQL queries. Off, it costs nothing: no client, no-op providers.
package telemetry

import (
	"net/http"
	"net/url"
	"regexp"
	"strings"

	"github.com/getsentry/sentry-go"
)

// SentryOptions configure the edge's Sentry client.
type SentryOptions struct {
	DSN, Environment, Release string
	Transport                 sentry.Transport // nil: the SDK's asynchronous HTTP transport
}

// NewSentry returns a Sentry client that never sends personal data or secrets: events pass
// ScrubEvent last, whatever filled them. The client is the caller's, not the SDK's global hub.
func NewSentry(o SentryOptions) (*sentry.Client, error) {
	return sentry.NewClient(sentry.ClientOptions{
		Dsn: o.DSN, Environment: o.Environment, Release: o.Release, Transport: o.Transport,
		SendDefaultPII: false, AttachStacktrace: true,
		BeforeSend: func(e *sentry.Event, _ *sentry.EventHint) *sentry.Event { return ScrubEvent(e) },
		BeforeBreadcrumb: func(b *sentry.Breadcrumb, _ *sentry.BreadcrumbHint) *sentry.Breadcrumb {
			b.Message = redact(b.Message)
			scrubMap(b.Data)
			return b
		},
	})
}

// safeHeaders are the only request headers an event may carry.
var safeHeaders = map[string]bool{"Accept": true, "Content-Type": true, "Content-Length": true, "User-Agent": true, "X-Request-Id": true}

// Request is what an event says about the request: method, URL without its query, and the safe
// headers. Cookies, Authorization, API keys, the body and the client address never appear.
func Request(r *http.Request) *sentry.Request {
	u := url.URL{Scheme: "http", Host: r.Host, Path: r.URL.Path}
	if r.TLS != nil {
		u.Scheme = "https"
	}
	h := map[string]string{}
	for k, v := range r.Header {
		if safeHeaders[http.CanonicalHeaderKey(k)] {
			h[http.CanonicalHeaderKey(k)] = redact(strings.Join(v, ","))
		}
	}
	return &sentry.Request{Method: r.Method, URL: redact(u.String()), Headers: h}
}

// secretPattern finds credentials in free text: import tokens, API keys, JWTs, Stripe keys and
// webhook secrets, bearer credentials, presigned-URL signatures.
var secretPattern = regexp.MustCompile(`oit1\.[A-Za-z0-9._~-]+|oct_(?:live|test)_[A-Za-z0-9_]+|eyJ[A-Za-z0-9_-]*\.[A-Za-z0-9._-]*|` +
	`(?:sk|rk|pk)_(?:live|test)_[A-Za-z0-9]+|whsec_[A-Za-z0-9_]+|(?i:bearer)\s+[A-Za-z0-9._~+/=-]+|` +
	`(?i:x-amz-(?:signature|credential|security-token))=[^&\s"]+|(?i:postgres(?:ql)?://)[^\s"]+`)

func redact(s string) string {
	if s == "" {
		return s
	}
	return secretPattern.ReplaceAllString(s, "[redacted]")
}

// ScrubEvent removes what must never leave the edge: request cookies, query strings, bodies,
// every header but a few safe ones, the user's address, and any credential-looking text in
// messages, exceptions, tags, breadcrumbs and contexts.
func ScrubEvent(e *sentry.Event) *sentry.Event {
	if e == nil {
		return nil
	}
	if r := e.Request; r != nil {
		r.Cookies, r.QueryString, r.Data, r.Env = "", "", "", nil
		if u, err := url.Parse(r.URL); err == nil {
			u.RawQuery, u.Fragment, u.User = "", "", nil
			r.URL = u.String()
		}
		r.URL = redact(r.URL)
		for k, v := range r.Headers {
			if !safeHeaders[http.CanonicalHeaderKey(k)] {
				delete(r.Headers, k)
			} else {
				r.Headers[k] = redact(v)
			}
		}
	}
	e.User = sentry.User{ID: e.User.ID}
	e.Message = redact(e.Message)
	for i := range e.Exception {
		e.Exception[i].Value = redact(e.Exception[i].Value)
	}
	for k, v := range e.Tags {
		e.Tags[k] = redact(v)
	}
	for _, b := range e.Breadcrumbs {
		b.Message = redact(b.Message)
		scrubMap(b.Data)
	}
	for _, c := range e.Contexts {
		scrubMap(c)
	}
	return e
}

func scrubMap(m map[string]any) {
	for k, v := range m {
		if secretKey(k) {
			m[k] = "[redacted]"
			continue
		}
		m[k] = scrubValue(v)
	}
}

func scrubValue(v any) any {
	switch t := v.(type) {
	case string:
		return redact(t)
	case map[string]any:
		scrubMap(t)
	case []any:
		for i := range t {
			t[i] = scrubValue(t[i])
		}
	}
	return v
}

// secretKey says a map key names a credential, whatever its value looks like.
func secretKey(k string) bool {
	k = strings.ToLower(k)
	for _, w := range []string{"authorization", "cookie", "token", "secret", "password", "api_key", "apikey", "x-api-key", "pepper", "dsn", "signature", "credential"} {
		if strings.Contains(k, w) {
			return true
		}
	}
	return false
}
