package gateway

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
)

// WithForwardedCookies forwards the named cookies of a request to the
// backend as the "cookie" metadata ("name=value; name2=value2"), leaving
// out every other cookie. EventSource cannot set headers, but it sends the
// cookies of the gateway's origin (and, across origins, with
// withCredentials and a CORS policy that allows credentials). Cookies are
// never logged.
func WithForwardedCookies(names ...string) Option {
	return func(c *config) { c.cookies = append(c.cookies, names...) }
}

// WithAccessTokenParam accepts an access token in the named query
// parameter (for example "access_token") and forwards it as the metadata
// "authorization: Bearer <token>", for EventSource clients that can set
// neither headers nor cookies. An Authorization header, when present,
// wins. It is off by default: URLs end up in browser history, proxy logs
// and Referer headers, so prefer cookies, and use short-lived tokens with
// this. The gateway never logs the token.
func WithAccessTokenParam(name string) Option {
	return func(c *config) { c.tokenParam = name }
}

func validateAuthOptions(c *config) error {
	for _, name := range c.cookies {
		if name == "" || strings.ContainsAny(name, "=;, \t\r\n") {
			return fmt.Errorf("forwarded cookie name %q is not a cookie name", name)
		}
	}
	switch c.tokenParam {
	case "":
	case c.requestParam, c.lastEventIDParam:
		return fmt.Errorf("access token parameter %q is already the name of another parameter", c.tokenParam)
	}
	return nil
}

// forwardedCookies returns the allowlisted cookies of r as one cookie
// header value, or "".
func (g *Gateway) forwardedCookies(r *http.Request) string {
	if len(g.cfg.cookies) == 0 {
		return ""
	}
	var b strings.Builder
	for _, c := range r.Cookies() {
		for _, name := range g.cfg.cookies {
			if c.Name == name {
				if b.Len() > 0 {
					b.WriteString("; ")
				}
				b.WriteString(c.Name + "=" + c.Value)
			}
		}
	}
	return b.String()
}

// accessToken returns the token in the access token query parameter, when
// that is enabled and the request has no Authorization header.
func (g *Gateway) accessToken(r *http.Request, query url.Values) (string, error) {
	if g.cfg.tokenParam == "" {
		return "", nil
	}
	values, ok := query[g.cfg.tokenParam]
	if !ok || r.Header.Get("Authorization") != "" {
		return "", nil
	}
	if len(values) != 1 || values[0] == "" || strings.ContainsAny(values[0], "\r\n\x00 ") {
		return "", invalidArgument("query parameter %q must hold one access token", g.cfg.tokenParam)
	}
	return values[0], nil
}
