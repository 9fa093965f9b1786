//go:build unix

package gateway_test

import (
	"log/slog"
	"net/http"
	"sync"
	"testing"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/ssegw/ssegw/gateway"
	ssegwv1 "github.com/ssegw/ssegw/gen/ssegw/v1"
	"github.com/ssegw/ssegw/sse"
)

// TestSharedStreamSlowSubscriberIsCutAlone: a subscriber that stops
// reading does not hold back the backend call or the other subscribers,
// which receive every event; once it falls further behind than its queue,
// it alone is told to reconnect.
func TestSharedStreamSlowSubscriberIsCutAlone(t *testing.T) {
	conn, rec := startBackend(t)
	reg := prometheus.NewRegistry()
	logs := &logBuffer{}
	gw := newGateway(t, conn,
		shareSequence(&ssegwv1.Sharing{QueueEvents: 200, ReplayEvents: ptr(uint32(8))}),
		gateway.WithMetrics(reg), gateway.WithAccessLog(slog.New(slog.NewJSONHandler(logs, nil))))
	// Small socket buffers on both sides, so that a subscriber that does
	// not read blocks its writes after a few kilobytes (about a hundred
	// events), and then falls behind by more than its queue of 200 while
	// the others read 600. The queue leaves the others, which read all
	// the time, a second of slack under the race detector.
	base := serveWithSendBuffer(t, gw, 4096)
	url := base + "/v1/streams/slow/events?interval=0.005s"
	var h1 http.Protocols
	h1.SetHTTP1(true)
	stalledClient := &http.Client{Transport: &http.Transport{DialContext: smallWindowDialer.DialContext, Protocols: &h1}}
	t.Cleanup(stalledClient.CloseIdleConnections)
	stalled := subscribe(t, stalledClient, url, nil)
	stalled.events = sse.NewReader(stalled.resp.Body, sse.WithRetryEvents())

	var others []*stream
	for range 3 {
		others = append(others, open(t, "GET", url, nil, ""))
	}
	var wg sync.WaitGroup
	for _, s := range others {
		wg.Go(func() { s.seqs(t, 600) })
	}
	wg.Wait()

	// The stalled subscriber reads again: what was in flight, a retry
	// hint, and the end of the response, without an end event.
	var got []sse.Event
	for {
		ev, err := stalled.events.Next()
		if err != nil {
			break
		}
		got = append(got, ev)
	}
	if len(got) < 2 {
		t.Fatalf("the stalled subscriber got %d events", len(got))
	}
	last := got[len(got)-1]
	if last.Data != nil || last.Retry <= 0 || last.Retry >= gateway.DefaultRetry {
		t.Errorf("last event %+v, want a retry hint of about the drain retry", last)
	}
	for _, ev := range got {
		if ev.Event == gateway.EndEvent || ev.Event == gateway.ErrorEvent {
			t.Errorf("the cut subscriber got a %s event", ev.Event)
		}
	}
	if len(got) > 300 {
		t.Errorf("the stalled subscriber got %d events: it did not fall behind", len(got))
	}
	waitMetric(t, reg, `ssegw_shared_queue_overflows_total{grpc_method="`+sequenceRPC+`"}`, 1)
	findLog(t, logs, func(l map[string]any) bool { return l["reason"] == "overflow" && l["code"] == "ResourceExhausted" })

	// The others go on, on the same call.
	for _, s := range others {
		s.seqs(t, 5)
	}
	if n := len(rec.callsOf(sequenceRPC)); n != 1 {
		t.Errorf("%d backend calls, want 1", n)
	}
}
