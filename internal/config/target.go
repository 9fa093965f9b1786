package config

import (
	"net"
	"net/netip"
	"net/url"
	"strings"

	"google.golang.org/grpc/resolver"
)

// Loopback reports whether a gRPC dial target is dialled on this machine:
// a Unix socket, or a loopback IP address or localhost as the address the
// target's resolver dials. It reads the target as grpc.NewClient does: a
// URL whose scheme names a registered resolver, or else a name for the
// default resolver, dns. For passthrough and dns the address dialled is
// the URL's endpoint (its path), not its authority, which for dns names
// the DNS server to ask; a name given to a DNS server of the target's own
// choosing counts only when it is a loopback IP address. Any other
// resolver's addresses cannot be known here, and are not loopback.
func Loopback(target string) bool {
	scheme, authority, endpoint := parseTarget(target)
	switch scheme {
	case "unix", "unix-abstract":
		return true
	case "passthrough":
		return loopbackAddress(endpoint, true)
	case "dns":
		return loopbackAddress(endpoint, authority == "")
	}
	return false
}

// parseTarget splits a dial target as grpc.NewClient does: a URL with the
// scheme of a known resolver, or else the whole target as the endpoint of
// dns:///.
func parseTarget(target string) (scheme, authority, endpoint string) {
	u, err := url.Parse(target)
	if err == nil && u.Scheme != "" {
		switch u.Scheme {
		case "dns", "passthrough", "unix", "unix-abstract":
		default:
			if resolver.Get(u.Scheme) == nil {
				return "dns", "", target
			}
		}
		// As resolver.Target.Endpoint: the path, or else the opaque part.
		endpoint := u.Path
		if endpoint == "" {
			endpoint = u.Opaque
		}
		return u.Scheme, u.Host, strings.TrimPrefix(endpoint, "/")
	}
	return "dns", "", target
}

// loopbackAddress reports whether host[:port] is a loopback IP address, or,
// with names, localhost.
func loopbackAddress(hostport string, names bool) bool {
	host, _, err := net.SplitHostPort(hostport)
	if err != nil {
		host = hostport
	}
	if names && (host == "localhost" || strings.HasSuffix(host, ".localhost")) {
		return true
	}
	a, err := netip.ParseAddr(strings.Trim(host, "[]"))
	return err == nil && a.Unmap().IsLoopback()
}
