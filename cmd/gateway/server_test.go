package main

import (
	"net/http"
	"net/http/httptest"
	"testing"
)

// TestStartingAnswersACompactStatus checks the answer before the routes
// are known: 503, Retry-After, and a google.rpc.Status in the order and
// form of the gateway's other error bodies.
func TestStartingAnswersACompactStatus(t *testing.T) {
	w := httptest.NewRecorder()
	(&app{}).ServeHTTP(w, httptest.NewRequest(http.MethodGet, "/v1/anything", nil))
	want := `{"code":14,"message":"the gateway is starting: the backends' services are not discovered yet","details":[]}`
	if w.Code != http.StatusServiceUnavailable || w.Header().Get("Retry-After") != "1" || w.Body.String() != want {
		t.Errorf("%d, Retry-After %q, body %s; want 503, 1, %s", w.Code, w.Header().Get("Retry-After"), w.Body, want)
	}
}
