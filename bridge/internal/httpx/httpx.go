// Package httpx builds the bridge's HTTP clients: the system's proxy settings and root CAs,
// TLS 1.2 or newer, certificate verification always on; and keeps the credentials URLs carry
// (presigned signatures, the Realtime apikey) out of their errors.
package httpx

import (
	"crypto/tls"
	"errors"
	"net"
	"net/http"
	"net/url"
	"time"
)

// NewClient returns a client honouring HTTPS_PROXY/HTTP_PROXY/NO_PROXY. timeout bounds a whole
// request including the body; 0 means none (downloads set their own deadlines through the context).
func NewClient(timeout time.Duration) *http.Client {
	return &http.Client{Timeout: timeout, Transport: NewTransport()}
}

// NewTransport is the transport behind NewClient, for callers that wrap it.
func NewTransport() *http.Transport {
	return &http.Transport{
		Proxy: http.ProxyFromEnvironment,
		DialContext: (&net.Dialer{
			Timeout:   15 * time.Second,
			KeepAlive: 30 * time.Second,
		}).DialContext,
		// RootCAs nil = the system pool; InsecureSkipVerify is never set.
		TLSClientConfig:       &tls.Config{MinVersion: tls.VersionTLS12},
		ForceAttemptHTTP2:     true,
		MaxIdleConns:          16,
		IdleConnTimeout:       90 * time.Second,
		TLSHandshakeTimeout:   15 * time.Second,
		ResponseHeaderTimeout: 60 * time.Second,
		ExpectContinueTimeout: time.Second,
	}
}

// ProxyReport says which proxy a request to u would go through, for `bridge doctor`.
// Credentials in the proxy URL are masked.
func ProxyReport(u string) string {
	return proxyReport(u, http.ProxyFromEnvironment)
}

func proxyReport(u string, proxy func(*http.Request) (*url.URL, error)) string {
	target, err := url.Parse(u)
	if err != nil || target.Host == "" {
		return "invalid URL"
	}
	p, err := proxy(&http.Request{URL: target})
	if err != nil {
		return "proxy setting invalid: " + err.Error()
	}
	if p == nil {
		return "direct"
	}
	return p.Redacted()
}

// SecureURL allows https anywhere and plain http only to this machine (localhost or a loopback
// address: the local stack). Endpoints and presigned download URLs are bearer credentials or
// lead to paid content, so nothing else is used (threat 16).
func SecureURL(raw string) bool {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		return false
	}
	switch u.Scheme {
	case "https":
		return true
	case "http":
		host := u.Hostname()
		ip := net.ParseIP(host)
		return host == "localhost" || (ip != nil && ip.IsLoopback())
	}
	return false
}

// Redact returns u without query, fragment or user info, for logs and error messages.
func Redact(u string) string {
	p, err := url.Parse(u)
	if err != nil {
		return "<unparseable URL>"
	}
	p.RawQuery, p.Fragment, p.User, p.RawFragment = "", "", nil, ""
	return p.String()
}

// RedactError returns the *url.Error in err (the client's error for a failed request) with its
// URL redacted (Redact); an error without one is returned as is.
func RedactError(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return &url.Error{Op: ue.Op, URL: Redact(ue.URL), Err: ue.Err}
	}
	return err
}

// StripURL returns the cause inside the *url.Error in err, without the URL at all: for clients
// whose error already names what failed without the host (the edge and Realtime clients).
func StripURL(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}
