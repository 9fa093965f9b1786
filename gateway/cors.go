package gateway

import (
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// CORS is the policy for pages on other origins that open streams, with
// EventSource or fetch, or call unary methods. The zero value allows no
// other origin. A preflight may ask for GET, POST and the HTTP methods of
// the gateway's unary routes (PUT, DELETE, PATCH, custom methods).
//
// A request from an origin that is not allowed gets no CORS headers, so the
// browser refuses it; the gateway answers it with 403 without calling the
// backend. Same-origin requests are always served.
type CORS struct {
	// AllowedOrigins lists the origins allowed, exactly as browsers send
	// them: "https://app.example.com", "http://localhost:3000". "*" allows
	// every origin, and cannot be combined with AllowCredentials.
	AllowedOrigins []string

	// AllowCredentials lets pages send cookies and HTTP authentication
	// (EventSource's withCredentials, fetch's credentials: "include"). The
	// allowed origin is then echoed exactly, with
	// Access-Control-Allow-Credentials: true, never "*".
	AllowCredentials bool

	// AllowedHeaders lists request headers, besides Last-Event-ID and
	// Content-Type, that a preflight may ask for (fetch-based clients
	// setting Authorization, say).
	AllowedHeaders []string

	// ExposedHeaders lists response headers that pages may read.
	ExposedHeaders []string

	// MaxAge is how long browsers may cache a preflight answer (default:
	// the browser's own).
	MaxAge time.Duration
}

// WithCORS serves pages on other origins under policy c. New refuses a
// policy that allows every origin with credentials.
func WithCORS(c CORS) Option {
	return func(cfg *config) { cfg.cors = &c }
}

// corsHeadersAlways may always be asked for in a preflight.
var corsHeadersAlways = []string{"last-event-id", "content-type"}

// corsPolicy is a validated CORS policy.
type corsPolicy struct {
	anyOrigin   bool
	origins     map[string]bool
	credentials bool
	headers     []string // lower case
	exposed     string
	maxAge      string
	methods     []string // allowed in a preflight: GET, POST and those of the routes
	proxies     proxies  // trusted for the scheme of same-origin requests
}

func newCORSPolicy(c CORS) (*corsPolicy, error) {
	p := &corsPolicy{origins: map[string]bool{}, credentials: c.AllowCredentials}
	for _, o := range c.AllowedOrigins {
		if o == "*" {
			p.anyOrigin = true
			continue
		}
		u, err := url.Parse(o)
		if err != nil || u.Scheme == "" || u.Host == "" || (u.Path != "" && u.Path != "/") || u.RawQuery != "" || u.User != nil {
			return nil, fmt.Errorf("CORS: allowed origin %q is not an origin like https://app.example.com", o)
		}
		p.origins[strings.ToLower(u.Scheme+"://"+u.Host)] = true
	}
	if p.anyOrigin && p.credentials {
		return nil, fmt.Errorf(`CORS: allowing every origin ("*") with credentials would let any site act with its visitors' cookies; list the origins instead`)
	}
	p.headers = append(p.headers, corsHeadersAlways...)
	for _, h := range c.AllowedHeaders {
		p.headers = append(p.headers, strings.ToLower(strings.TrimSpace(h)))
	}
	p.exposed = strings.Join(c.ExposedHeaders, ", ")
	if c.MaxAge > 0 {
		p.maxAge = strconv.Itoa(int(c.MaxAge / time.Second))
	}
	return p, nil
}

// handle applies the policy to a request. It reports whether the request
// was answered (a preflight, or a refused origin).
func (p *corsPolicy) handle(w http.ResponseWriter, r *http.Request, refuse func(http.ResponseWriter, error)) (answered bool) {
	origin := r.Header.Get("Origin")
	h := w.Header()
	h.Add("Vary", "Origin")
	if origin == "" || p.sameOrigin(r, origin) {
		return false
	}
	allowed := p.anyOrigin || p.origins[strings.ToLower(origin)]
	preflight := r.Method == http.MethodOptions && r.Header.Get("Access-Control-Request-Method") != ""
	if preflight {
		h.Add("Vary", "Access-Control-Request-Method")
		h.Add("Vary", "Access-Control-Request-Headers")
	}
	if !allowed {
		refuse(w, status.Errorf(codes.PermissionDenied, "origin %s is not allowed", origin))
		return true
	}
	var requested []string
	if preflight {
		method := r.Header.Get("Access-Control-Request-Method")
		if !slices.Contains(p.methods, method) && method != http.MethodGet && method != http.MethodPost {
			refuse(w, status.Errorf(codes.PermissionDenied, "method %s is not allowed across origins", method))
			return true
		}
		for _, field := range r.Header.Values("Access-Control-Request-Headers") {
			for name := range strings.SplitSeq(field, ",") {
				name = strings.ToLower(strings.TrimSpace(name))
				if name == "" {
					continue
				}
				if !slices.Contains(p.headers, name) {
					refuse(w, status.Errorf(codes.PermissionDenied, "header %s is not allowed across origins", name))
					return true
				}
				requested = append(requested, name)
			}
		}
	}

	if p.anyOrigin && !p.credentials {
		h.Set("Access-Control-Allow-Origin", "*")
	} else {
		h.Set("Access-Control-Allow-Origin", origin)
	}
	if p.credentials {
		h.Set("Access-Control-Allow-Credentials", "true")
	}
	if !preflight {
		if p.exposed != "" {
			h.Set("Access-Control-Expose-Headers", p.exposed)
		}
		return false
	}
	h.Set("Access-Control-Allow-Methods", p.allowMethods())
	if len(requested) > 0 {
		h.Set("Access-Control-Allow-Headers", strings.Join(requested, ", "))
	}
	if p.maxAge != "" {
		h.Set("Access-Control-Max-Age", p.maxAge)
	}
	w.WriteHeader(http.StatusNoContent)
	return true
}

// sameOrigin reports whether origin is the origin the request was sent
// to: its Host, with the scheme of the connection, or the one trusted
// proxies forwarded (see WithTrustedProxies).
func (p *corsPolicy) sameOrigin(r *http.Request, origin string) bool {
	return strings.EqualFold(origin, p.proxies.scheme(r)+"://"+r.Host)
}

// withMethods returns a copy of p that allows, in a preflight, the HTTP
// methods of routes besides GET and POST.
func (p *corsPolicy) withMethods(routes []*route) *corsPolicy {
	c := *p
	c.methods = []string{http.MethodGet, http.MethodPost}
	for _, rt := range routes {
		if !slices.Contains(c.methods, rt.HTTPMethod) {
			c.methods = append(c.methods, rt.HTTPMethod)
		}
	}
	return &c
}

// allowMethods is the value of Access-Control-Allow-Methods.
func (p *corsPolicy) allowMethods() string {
	if len(p.methods) == 0 {
		return "GET, POST"
	}
	return strings.Join(p.methods, ", ")
}
