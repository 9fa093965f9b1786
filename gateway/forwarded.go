package gateway

import (
	"net/http"
	"net/netip"
	"strings"
)

// WithTrustedProxies trusts what the proxies in the given prefixes (those
// in front of the gateway: a load balancer, an ingress) say about their
// clients: the client address comes from X-Forwarded-For, as with
// WithClientAddress(ForwardedFor(trusted...)), and the scheme the client
// used, for the same-origin check of the CORS policy, from the Forwarded
// header's proto parameter or X-Forwarded-Proto. Behind a proxy that
// terminates TLS, a page's same-origin request then carries an
// https:// Origin to a plain-HTTP gateway and is still same-origin.
// These headers of any other peer are ignored, since anyone can forge them.
func WithTrustedProxies(trusted ...netip.Prefix) Option {
	return func(c *config) {
		c.trustedProxies = append(proxies(nil), trusted...)
		c.ops.clientAddress = ForwardedFor(trusted...)
	}
}

// proxies are the prefixes of trusted proxies.
type proxies []netip.Prefix

// trust reports whether a is the address of a trusted proxy.
func (p proxies) trust(a netip.Addr) bool {
	a = a.Unmap()
	for _, prefix := range p {
		if prefix.Contains(a) {
			return true
		}
	}
	return false
}

// trustsPeer reports whether the request's peer is a trusted proxy.
func (p proxies) trustsPeer(r *http.Request) bool {
	if len(p) == 0 {
		return false
	}
	a, err := netip.ParseAddr(RemoteAddress(r))
	return err == nil && p.trust(a)
}

// scheme returns the scheme the client used, "http" or "https": the
// connection's own, or, from a trusted proxy, the proxies' word for it.
// In the Forwarded header (RFC 7239) each proxy adds an element; from the
// right, the elements of trusted proxies are passed over until the one
// that describes the client, whose proto is taken. Without Forwarded, the
// first value of X-Forwarded-Proto is taken, as the proxy nearest the
// client sets it.
func (p proxies) scheme(r *http.Request) string {
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	if !p.trustsPeer(r) {
		return scheme
	}
	if fwd := r.Header.Values("Forwarded"); len(fwd) > 0 {
		elements := strings.Split(strings.Join(fwd, ","), ",")
		for i := len(elements) - 1; i >= 0; i-- {
			params := forwardedParams(elements[i])
			if i == 0 || !p.trustsFor(params["for"]) {
				if s := params["proto"]; s == "http" || s == "https" {
					return s
				}
				return scheme
			}
		}
	}
	if xfp := r.Header.Get("X-Forwarded-Proto"); xfp != "" {
		first, _, _ := strings.Cut(xfp, ",")
		if s := strings.ToLower(strings.TrimSpace(first)); s == "http" || s == "https" {
			return s
		}
	}
	return scheme
}

// trustsFor reports whether a Forwarded for= value is a trusted proxy's
// address.
func (p proxies) trustsFor(v string) bool {
	v = strings.Trim(v, `"`)
	if ap, err := netip.ParseAddrPort(v); err == nil {
		return p.trust(ap.Addr())
	}
	a, err := netip.ParseAddr(strings.Trim(v, "[]"))
	return err == nil && p.trust(a)
}

// forwardedParams parses one element of a Forwarded header,
// "for=192.0.2.60;proto=https", into lower-case names and their values
// (lower case, quotes removed, but for "for").
func forwardedParams(element string) map[string]string {
	params := map[string]string{}
	for pair := range strings.SplitSeq(element, ";") {
		name, value, ok := strings.Cut(strings.TrimSpace(pair), "=")
		if !ok {
			continue
		}
		name = strings.ToLower(strings.TrimSpace(name))
		value = strings.TrimSpace(value)
		if name != "for" {
			value = strings.ToLower(strings.Trim(value, `"`))
		}
		params[name] = value
	}
	return params
}
