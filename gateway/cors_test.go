package gateway_test

import (
	"net/http"
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
