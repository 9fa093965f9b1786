package gateway_test

import (
	"fmt"
	"strconv"
	"strings"
	"testing"

	"github.com/ssegw/ssegw/gateway"
	ssegwv1 "github.com/ssegw/ssegw/gen/ssegw/v1"
	"github.com/ssegw/ssegw/internal/kitchensink"
	"github.com/ssegw/ssegw/sse"
)

// feedRequest asks Feed for the events of feedEvents, one every
// interval, over and over with repeat (numbered in seq from 1). tag makes
// the request one of its own.
func feedRequest(interval string, repeat bool, tag string) string {
	return strings.Replace(feedEvents, `{"events":[`, `{"interval":"`+interval+`","repeat":`+strconv.FormatBool(repeat)+`,"failMessage":"`+tag+`","events":[`, 1)
}

// checkRepeatedFeedEvent checks an event of a repeated feed: the event of
// feedWant its seq (its id) stands for.
func checkRepeatedFeedEvent(t *testing.T, ev sse.Event) {
	t.Helper()
	seq, err := strconv.Atoi(ev.ID)
	if err != nil {
		t.Fatalf("event %q %s: id %q", ev.Event, ev.Data, ev.ID)
	}
	want := feedWant[(seq-1)%(len(feedWant)-1)]
	if want.data == `{"seq":"10"}` {
		want.data = fmt.Sprintf(`{"seq":"%d"}`, seq) // the whole message, renumbered
	}
	if ev.Event != want.name || string(ev.Data) != want.data {
		t.Errorf("event %d: %q %s, want %q %s", seq, ev.Event, ev.Data, want.name, want.data)
	}
}

// TestShapedSharedStreams shares Feed: every subscriber receives the
// events shaped once for all, over HTTP/1.1 and HTTP/2, from one backend
// call, and the sentinel ends the stream of each.
func TestShapedSharedStreams(t *testing.T) {
	srv, conn := startKitchenSink(t)
	base := serveH1H2(t, newGateway(t, conn, gateway.WithSharing("kitchensink.v1.KitchenSink.Feed", &ssegwv1.Sharing{})))
	feedCalls := func() int {
		n := 0
		for _, c := range srv.Backend.Calls() {
			if c.Method == "/"+kitchensink.ServiceName+"/Feed" {
				n++
			}
		}
		return n
	}
	for _, proto := range protocols {
		t.Run(proto, func(t *testing.T) {
			client := clientFor(t, proto)
			t.Run("live", func(t *testing.T) {
				before := feedCalls()
				url := base + "/v1/feed?" + requestParam(feedRequest("0.005s", true, proto))
				var subs []*stream
				for range 3 {
					subs = append(subs, subscribe(t, client, url, nil))
				}
				for _, s := range subs {
					for range 2 * len(feedWant) {
						checkRepeatedFeedEvent(t, s.nextData(t))
					}
					s.cancel()
				}
				if n := feedCalls() - before; n != 1 {
					t.Errorf("%d backend calls, want 1", n)
				}
			})
			t.Run("ended by the sentinel", func(t *testing.T) {
				url := base + "/v1/feed?" + requestParam(feedRequest("0.002s", false, proto))
				var subs []*stream
				for range 3 {
					subs = append(subs, subscribe(t, client, url, nil))
				}
				for i, s := range subs {
					var evs []sse.Event
					for _, ev := range s.rest(t) {
						if ev.Data != nil {
							evs = append(evs, ev)
						}
					}
					if len(evs) == 0 {
						t.Fatalf("subscriber %d: no event", i)
					}
					last := evs[len(evs)-1]
					if last.Event != "" || string(last.Data) != "[DONE]" {
						t.Errorf("subscriber %d: the last event is %q %s, want the sentinel", i, last.Event, last.Data)
					}
					for _, ev := range evs[:len(evs)-1] {
						checkRepeatedFeedEvent(t, ev)
					}
				}
			})
		})
	}
}
