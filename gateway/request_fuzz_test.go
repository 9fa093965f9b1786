package gateway

import (
	"bytes"
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/grpc-ecosystem/grpc-gateway/v2/runtime"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"

	demov1 "github.com/ssegw/ssegw/gen/examples/demo/v1"
)

// FuzzBuildRequest feeds arbitrary paths, queries, headers and bodies to
// request building. It must never panic, must fail only with an
// InvalidArgument status (or a 413 for a large body), and whatever it
// accepts must be a request the backend can decode.
func FuzzBuildRequest(f *testing.F) {
	g, err := New(f.Context(), nil, WithFiles(demov1.File_examples_demo_v1_demo_proto),
		WithAccessTokenParam("access_token"), WithMaxRequestBytes(4096))
	if err != nil {
		f.Fatal(err)
	}
	for _, seed := range []struct {
		route                     uint8
		path, query, lastID, body string
	}{
		{0, "ACME", "count=3&interval=0.5s", "", ""},
		{1, "streams/a", "last_seq=9&interval=1s", "7", ""},
		{2, "streams/a", "", "", `{"lastSeq":"3","interval":"0.01s"}`},
		{3, "", `request={"code":3,"violations":[{"field":"x"}]}&after=1`, "", ""},
		{1, "streams/..", "lastEventID=%0A", "\x00", ""},
		{0, "%FF", "count=%zz&cuont=1&access_token=t&access_token=u", "", "{"},
		{1, "streams/b", "interval.seconds=2&last_seq=-1", "99999999999999999999", ""},
	} {
		f.Add(seed.route, seed.path, seed.query, seed.lastID, seed.body)
	}
	f.Fuzz(func(t *testing.T, routeIndex uint8, pathValue, query, lastID, body string) {
		rt := g.routes[int(routeIndex)%len(g.routes)]
		req := httptest.NewRequest(rt.HTTPMethod, "/", bytes.NewReader([]byte(body)))
		req.URL.RawQuery = query
		req.Header.Set("Last-Event-ID", lastID)
		req.Header.Set("Content-Type", "application/json")
		params := map[string]string{}
		if m := templateVariable.FindStringSubmatch(rt.Path); m != nil {
			params[m[1]] = pathValue
		}
		read, err := g.routeBody(rt, httptest.NewRecorder(), req)
		var msg proto.Message
		var md metadata.MD
		if err == nil {
			msg, md, err = g.buildRequest(rt, req, params, read)
		}
		if err != nil {
			if hse, ok := errors.AsType[*runtime.HTTPStatusError](err); ok {
				if hse.HTTPStatus != http.StatusRequestEntityTooLarge {
					t.Fatalf("HTTP status %d for %v", hse.HTTPStatus, err)
				}
				err = hse.Err
			}
			if status.Code(err) != codes.InvalidArgument {
				t.Fatalf("error %v, want InvalidArgument", err)
			}
			return
		}
		if _, err := proto.Marshal(msg); err != nil {
			t.Fatalf("accepted a request that cannot be encoded: %v", err)
		}
		for _, v := range md.Get("last-event-id") {
			if v == "" || bytes.ContainsAny([]byte(v), "\r\n\x00") {
				t.Fatalf("last-event-id metadata %q", v)
			}
		}
	})
}
