package gateway_test

import (
	"net/http"
	"testing"

	"github.com/ssegw/ssegw/gateway"
)

func TestCookiesAndAccessToken(t *testing.T) {
	conn, rec := startBackend(t)
	base := startGateway(t, conn,
		gateway.WithForwardedCookies("session", "tenant"),
		gateway.WithAccessTokenParam("access_token"))
	stream := base + "/v1/streams/a/events?interval=1h"

	t.Run("allowlisted cookies only", func(t *testing.T) {
		open(t, "GET", stream, http.Header{"Cookie": {"session=abc; tracking=xyz; tenant=acme"}}, "")
		if got := rec.next(t).md.Get("cookie"); len(got) != 1 || got[0] != "session=abc; tenant=acme" {
			t.Errorf("cookie metadata %q, want session and tenant only", got)
		}
	})
	t.Run("token parameter becomes authorization", func(t *testing.T) {
		open(t, "GET", stream+"&access_token=t0k3n", nil, "")
		md := rec.next(t).md
		if got := md.Get("authorization"); len(got) != 1 || got[0] != "Bearer t0k3n" {
			t.Errorf("authorization %q", got)
		}
		if got := md.Get("cookie"); got != nil {
			t.Errorf("cookie metadata %q without cookies", got)
		}
	})
	t.Run("Authorization header wins over the parameter", func(t *testing.T) {
		open(t, "GET", stream+"&access_token=t0k3n", http.Header{"Authorization": {"Bearer header"}}, "")
		if got := rec.next(t).md.Get("authorization"); len(got) != 1 || got[0] != "Bearer header" {
			t.Errorf("authorization %q", got)
		}
	})
	t.Run("token parameter twice", func(t *testing.T) {
		resp, _ := do(t, "GET", stream+"&access_token=a&access_token=b", nil, "")
		if resp.StatusCode != http.StatusBadRequest {
			t.Errorf("status %d, want 400", resp.StatusCode)
		}
	})
}

func TestAccessTokenParamIsOffByDefault(t *testing.T) {
	conn, rec := startBackend(t)
	base := startGateway(t, conn)
	resp, _ := do(t, "GET", base+"/v1/streams/a/events?interval=1h&access_token=t0k3n", nil, "")
	if resp.StatusCode != http.StatusBadRequest {
		t.Errorf("status %d, want 400 for a parameter that is not enabled", resp.StatusCode)
	}
	if rec.count() != 0 {
		t.Error("the backend was called")
	}
}
