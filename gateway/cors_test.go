package gateway_test

import (
	"io"
	"net/http"
	"net/netip"
	"strings"
	"testing"

	"github.com/ssegw/ssegw/gateway"
)

func TestCORS(t *testing.T) {
	conn, rec := startBackend(t)
	base := startGateway(t, conn, gateway.WithCORS(gateway.CORS{
		AllowedOrigins:   []string{"https://app.example.com"},
		AllowCredentials: true,
		AllowedHeaders:   []string{"Authorization"},
		ExposedHeaders:   []string{"X-Demo-Method"},
	}))
	stream := base + "/v1/streams/c/events?last_seq=1&interval=0.001s"

	t.Run("allowed origin gets its origin echoed with credentials", func(t *testing.T) {
		s := open(t, "GET", stream, http.Header{"Origin": {"https://app.example.com"}}, "")
		h := s.resp.Header
		if h.Get("Access-Control-Allow-Origin") != "https://app.example.com" || h.Get("Access-Control-Allow-Credentials") != "true" {
			t.Errorf("headers %v", h)
		}
		if !strings.Contains(strings.Join(h.Values("Vary"), ","), "Origin") {
			t.Errorf("Vary %q lacks Origin", h.Values("Vary"))
		}
		if h.Get("Access-Control-Expose-Headers") != "X-Demo-Method" {
			t.Errorf("Access-Control-Expose-Headers %q", h.Get("Access-Control-Expose-Headers"))
		}
		s.rest(t)
	})
	t.Run("disallowed origin gets no CORS headers and no backend call", func(t *testing.T) {
		before := rec.count()
		resp, _ := do(t, "GET", stream, http.Header{"Origin": {"https://evil.example"}}, "")
		if resp.StatusCode != http.StatusForbidden {
			t.Errorf("status %d, want 403", resp.StatusCode)
		}
		for k := range resp.Header {
			if strings.HasPrefix(k, "Access-Control-") {
				t.Errorf("CORS header %s sent to a disallowed origin", k)
			}
		}
		if rec.count() != before {
			t.Error("the backend was called for a disallowed origin")
		}
	})
	t.Run("same origin needs no policy", func(t *testing.T) {
		open(t, "GET", stream, http.Header{"Origin": {base}}, "").rest(t)
	})
	t.Run("preflight for Last-Event-ID and an allowed header", func(t *testing.T) {
		resp, _ := do(t, "OPTIONS", stream, http.Header{
			"Origin":                         {"https://app.example.com"},
			"Access-Control-Request-Method":  {"GET"},
			"Access-Control-Request-Headers": {"last-event-id, authorization"},
		}, "")
		h := resp.Header
		if resp.StatusCode != http.StatusNoContent || h.Get("Access-Control-Allow-Origin") != "https://app.example.com" ||
			h.Get("Access-Control-Allow-Headers") != "last-event-id, authorization" || h.Get("Access-Control-Allow-Credentials") != "true" {
			t.Errorf("preflight answer %d %v", resp.StatusCode, h)
		}
	})
	t.Run("preflight for a header not allowed", func(t *testing.T) {
		resp, _ := do(t, "OPTIONS", stream, http.Header{
			"Origin":                         {"https://app.example.com"},
			"Access-Control-Request-Method":  {"GET"},
			"Access-Control-Request-Headers": {"x-secret"},
		}, "")
		if resp.StatusCode != http.StatusForbidden || resp.Header.Get("Access-Control-Allow-Origin") != "" {
			t.Errorf("preflight answer %d %v, want 403 without CORS headers", resp.StatusCode, resp.Header)
		}
	})
}

func TestCORSAnyOrigin(t *testing.T) {
	conn, _ := startBackend(t)
	base := startGateway(t, conn, gateway.WithCORS(gateway.CORS{AllowedOrigins: []string{"*"}}))
	s := open(t, "GET", base+"/v1/streams/c/events?last_seq=1&interval=0.001s", http.Header{"Origin": {"https://any.example"}}, "")
	if got := s.resp.Header.Get("Access-Control-Allow-Origin"); got != "*" {
		t.Errorf("Access-Control-Allow-Origin %q, want *", got)
	}
	if got := s.resp.Header.Get("Access-Control-Allow-Credentials"); got != "" {
		t.Errorf("Access-Control-Allow-Credentials %q with *", got)
	}
	s.rest(t)

	_, err := gateway.New(t.Context(), conn, gateway.WithCORS(gateway.CORS{AllowedOrigins: []string{"*"}, AllowCredentials: true}))
	if err == nil || !strings.Contains(err.Error(), "credentials") {
		t.Errorf("New with * and credentials: %v, want a refusal", err)
	}
	_, err = gateway.New(t.Context(), conn, gateway.WithCORS(gateway.CORS{AllowedOrigins: []string{"app.example.com/path"}}))
	if err == nil || !strings.Contains(err.Error(), "not an origin") {
		t.Errorf("New with a malformed origin: %v", err)
	}
}

// TestSameOriginBehindTLSProxy: a proxy terminates TLS and forwards plain
// HTTP to the gateway, so a page's same-origin request arrives with an
// https:// Origin on an http:// connection. With the proxy trusted, its
// X-Forwarded-Proto or Forwarded proto says the scheme, and the request is
// same-origin; from a peer that is not trusted the same headers are
// ignored, and the request is refused as cross-origin.
func TestSameOriginBehindTLSProxy(t *testing.T) {
	conn, _ := startBackend(t)
	policy := gateway.WithCORS(gateway.CORS{AllowedOrigins: []string{"https://app.example.com"}})
	loopback := netip.MustParsePrefix("127.0.0.0/8")
	trusted := startGateway(t, conn, policy, gateway.WithTrustedProxies(loopback))
	// The test's requests come from 127.0.0.1, which this one does not trust.
	untrusted := startGateway(t, conn, policy, gateway.WithTrustedProxies(netip.MustParsePrefix("192.0.2.0/24")))
	path := "/v1/streams/c/events?last_seq=1&interval=0.001s"
	const host = "sse.example.com"

	for _, tc := range []struct {
		name    string
		header  http.Header
		trusted int // status from a trusted proxy; an untrusted peer gets 403
	}{
		{"X-Forwarded-Proto", http.Header{"X-Forwarded-Proto": {"https"}}, http.StatusOK},
		{"X-Forwarded-Proto list", http.Header{"X-Forwarded-Proto": {"HTTPS, http"}}, http.StatusOK},
		{"Forwarded", http.Header{"Forwarded": {`for=198.51.100.7;proto=https;host=sse.example.com`}}, http.StatusOK},
		{"Forwarded through two proxies", http.Header{"Forwarded": {`for=198.51.100.7;proto=https`, `for=127.0.0.2;proto=http`}}, http.StatusOK},
		{"Forwarded wins", http.Header{"Forwarded": {`for="[2001:db8::7]:4711";proto=https`}, "X-Forwarded-Proto": {"http"}}, http.StatusOK},
		{"Forwarded says http", http.Header{"Forwarded": {`for=198.51.100.7;proto=http`}, "X-Forwarded-Proto": {"https"}}, http.StatusForbidden},
		{"no forwarded scheme", http.Header{}, http.StatusForbidden},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for _, gw := range []struct {
				base string
				want int
			}{{trusted, tc.trusted}, {untrusted, http.StatusForbidden}} {
				req, err := http.NewRequestWithContext(t.Context(), "GET", gw.base+path, nil)
				if err != nil {
					t.Fatal(err)
				}
				req.Header = tc.header.Clone()
				req.Header.Set("Origin", "https://"+host)
				req.Host = host
				resp, err := http.DefaultClient.Do(req)
				if err != nil {
					t.Fatal(err)
				}
				body, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				if resp.StatusCode != gw.want {
					t.Errorf("trusted %v: status %d (%s), want %d", gw.base == trusted, resp.StatusCode, body, gw.want)
				}
				if resp.Header.Get("Access-Control-Allow-Origin") != "" {
					t.Errorf("CORS headers on a same-origin or refused request: %v", resp.Header)
				}
			}
		})
	}
}
