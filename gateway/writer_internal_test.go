package gateway

import (
	"net/http/httptest"
	"testing"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"

	demov1 "github.com/ssegw/ssegw/gen/examples/demo/v1"
)

// TestHeartbeatTimerFiringAtOnce starts event writers whose heartbeat
// timer may fire before newEventWriter returns, as a short period on a
// busy machine allows: the first beat must find its timer set.
func TestHeartbeatTimerFiringAtOnce(t *testing.T) {
	// The gateway never calls the backend here.
	conn, err := grpc.NewClient("127.0.0.1:1", grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	g, err := New(t.Context(), conn, WithFiles(demov1.File_examples_demo_v1_demo_proto))
	if err != nil {
		t.Fatal(err)
	}
	for range 2000 {
		ew := newEventWriter(httptest.NewRecorder(), nil, func(error) {}, 1, "", &streamRecord{g: g})
		ew.close()
	}
}
