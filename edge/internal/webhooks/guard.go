package webhooks

import (
	"context"
	"errors"
	"net"
	"net/netip"
	"net/url"
	"strings"
	"unicode/utf8"
)

// The SSRF guard (threat 35). A customer's URL must not reach the edge's own network: https
// only, no credentials in the URL, and every address the name resolves to, at send time, must be
// a public unicast address; the connection goes to the address that was checked, so a name that
// resolves differently a moment later (DNS rebinding) gains nothing. Redirects are not followed
// (sender.go). AllowLoopback (WEBHOOK_ALLOW_LOOPBACK, refused in production) admits loopback
// addresses and plain http to them, for the local stack and tests; private and link-local
// addresses stay refused even then.

// errAddress is the one answer for a refused address: it names no address, so the delivery log
// is no oracle for the edge's network.
var errAddress = errors.New("the URL resolves to an address that is not allowed (private, loopback, link-local or reserved)")

// reserved are ranges netip has no predicate for: shared address space (RFC 6598), IETF protocol
// assignments, benchmarking, the old class E, NAT64 and 6to4 (which embed IPv4 addresses), and the
// documentation ranges.
var reserved = func() []netip.Prefix {
	var out []netip.Prefix
	for _, s := range []string{"0.0.0.0/8", "100.64.0.0/10", "192.0.0.0/24", "192.0.2.0/24", "198.18.0.0/15",
		"198.51.100.0/24", "203.0.113.0/24", "240.0.0.0/4", "64:ff9b::/96", "64:ff9b:1::/48", "2002::/16",
		"2001:db8::/32", "100::/64"} {
		out = append(out, netip.MustParsePrefix(s))
	}
	return out
}()

// Allowed says whether a delivery may connect to ip.
func Allowed(ip netip.Addr, allowLoopback bool) bool {
	ip = ip.Unmap()
	if ip.IsLoopback() {
		return allowLoopback
	}
	if !ip.IsGlobalUnicast() || ip.IsPrivate() || ip.IsLinkLocalUnicast() {
		return false
	}
	for _, p := range reserved {
		if p.Contains(ip) {
			return false
		}
	}
	return true
}

// isLoopbackHost says whether host names this machine (a loopback literal or localhost).
func isLoopbackHost(host string) bool {
	if ip, err := netip.ParseAddr(host); err == nil {
		return ip.Unmap().IsLoopback()
	}
	host = strings.ToLower(strings.TrimSuffix(host, "."))
	return host == "localhost" || strings.HasSuffix(host, ".localhost")
}

// CheckURL is the registration rule: an absolute https URL of at most 2048 bytes, no user
// information or fragment, a host that is not an address literal Allowed refuses; with
// allowLoopback, http is accepted for a loopback host. Names are checked again, resolved, at
// every attempt (Dialer).
func CheckURL(raw string, allowLoopback bool) error {
	if raw == "" {
		return errors.New("url is required")
	}
	if len(raw) > 2048 || !utf8.ValidString(raw) {
		return errors.New("url must be at most 2048 bytes of UTF-8")
	}
	u, err := url.Parse(raw)
	if err != nil || !u.IsAbs() || u.Host == "" || u.Opaque != "" {
		return errors.New("url must be an absolute https URL")
	}
	if u.User != nil || u.Fragment != "" {
		return errors.New("url must not carry credentials or a fragment")
	}
	host := u.Hostname()
	switch {
	case u.Scheme == "https":
	case u.Scheme == "http" && allowLoopback && isLoopbackHost(host):
	default:
		return errors.New("url must use https")
	}
	if ip, err := netip.ParseAddr(host); err == nil && !Allowed(ip, allowLoopback) {
		return errAddress
	}
	if isLoopbackHost(host) && !allowLoopback {
		return errAddress
	}
	return nil
}

// Resolver looks a host name up (net.DefaultResolver in production; tests give their own).
type Resolver interface {
	LookupNetIP(ctx context.Context, network, host string) ([]netip.Addr, error)
}

// Dialer connects deliveries: it resolves the host, refuses it when any of its addresses is not
// Allowed (one bad address is enough: a mixed answer is how rebinding is attempted), and dials
// the checked addresses themselves.
type Dialer struct {
	Resolver      Resolver
	AllowLoopback bool
	Dial          func(ctx context.Context, network, address string) (net.Conn, error)
}

// DialContext is an http.Transport's DialContext.
func (d Dialer) DialContext(ctx context.Context, network, address string) (net.Conn, error) {
	host, port, err := net.SplitHostPort(address)
	if err != nil {
		return nil, err
	}
	var addrs []netip.Addr
	if ip, err := netip.ParseAddr(host); err == nil {
		addrs = []netip.Addr{ip}
	} else {
		if addrs, err = d.Resolver.LookupNetIP(ctx, "ip", host); err != nil {
			return nil, errLookup
		}
	}
	if len(addrs) == 0 {
		return nil, errLookup
	}
	for _, ip := range addrs {
		if !Allowed(ip, d.AllowLoopback) {
			return nil, errAddress
		}
	}
	var last error
	for _, ip := range addrs {
		c, err := d.Dial(ctx, network, net.JoinHostPort(ip.Unmap().String(), port))
		if err == nil {
			return c, nil
		}
		last = err
	}
	return nil, last
}

var errLookup = errors.New("the URL's host name does not resolve")
