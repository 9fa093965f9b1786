package gateway_test

import (
	"net/http"
	"strings"
	"testing"

	"google.golang.org/grpc"
	"google.golang.org/grpc/metadata"

	"github.com/ssegw/ssegw/gateway"
	demov1 "github.com/ssegw/ssegw/gen/examples/demo/v1"
)

func TestBinaryMetadataIsBase64InHTTP(t *testing.T) {
	t.Run("request header to backend", func(t *testing.T) {
		conn, rec := startBackend(t)
		base := startGateway(t, conn, gateway.WithIncomingHeaders("X-Trace-Bin"))
		open(t, "GET", base+"/v1/streams/b/events?interval=1h", http.Header{"X-Trace-Bin": {"AQID", "BAU"}}, "")
		if got := rec.next(t).md.Get("x-trace-bin"); len(got) != 2 || got[0] != "\x01\x02\x03" || got[1] != "\x04\x05" {
			t.Errorf("x-trace-bin %q, want the decoded bytes", got)
		}
		resp, _ := do(t, "GET", base+"/v1/streams/b/events", http.Header{"X-Trace-Bin": {"not base64!"}}, "")
		if resp.StatusCode != http.StatusBadRequest {
			t.Errorf("status %d for a header that is not base64, want 400", resp.StatusCode)
		}
	})
	t.Run("backend metadata to response header and trailers", func(t *testing.T) {
		conn := startSilentBackend(t, func(_ any, ss grpc.ServerStream) error {
			if err := ss.SendHeader(metadata.Pairs("x-raw-bin", "\xff\x00")); err != nil {
				return err
			}
			ss.SetTrailer(metadata.Pairs("x-raw-bin", "\x01"))
			return nil
		})
		base := startGateway(t, conn, gateway.WithFiles(demov1.File_examples_demo_v1_demo_proto), gateway.WithOutgoingMetadata("x-raw-bin"))
		s := open(t, "GET", base+"/v1/streams/b/events", nil, "")
		if got := s.resp.Header.Get("X-Raw-Bin"); got != "/wA=" {
			t.Errorf("X-Raw-Bin %q, want base64 /wA=", got)
		}
		events := s.rest(t)
		if end := events[len(events)-1]; !strings.Contains(string(end.Data), `"x-raw-bin":["AQ=="]`) {
			t.Errorf("end event %s, want the trailer base64-encoded", end.Data)
		}
	})
}
