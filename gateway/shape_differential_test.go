package gateway_test

import (
	"bytes"
	"encoding/json"
	"math/rand/v2"
	"testing"

	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/reflect/protoreflect"

	"github.com/ssegw/ssegw/gateway"
	ssegwv1 "github.com/ssegw/ssegw/gen/ssegw/v1"
	"github.com/ssegw/ssegw/internal/kitchensink"
)

// TestShapedDataDifferential streams random messages through Feed (shaped
// by its oneof) and Wrapped (its data a field, named by another), and
// checks that the data of every event is protojson's JSON of the case's
// value, or of the data field's, or of the whole message when no case is
// set; and the name, the case's or the field's.
func TestShapedDataDifferential(t *testing.T) {
	srv, conn := startKitchenSink(t)
	api := srv.Backend.Descriptors()
	base := serveH1H2(t, newGateway(t, conn, gateway.WithMethodOptions("kitchensink.v1.KitchenSink.Wrapped",
		&ssegwv1.StreamOptions{Shape: &ssegwv1.Shape{EventField: "kind", DataField: "payload"}})))
	reqType, err := api.Message(kitchensink.Package + ".FeedRequest")
	if err != nil {
		t.Fatal(err)
	}
	fields := reqType.Descriptor().Fields()
	rounds := 4
	if testing.Short() {
		rounds = 1
	}
	checked := map[string]int{}
	for round := range rounds {
		rng := rand.New(rand.NewPCG(uint64(round), 77))
		req := reqType.ProtoReflect().New()
		events, envelopes := req.Mutable(fields.ByName("events")).List(), req.Mutable(fields.ByName("envelopes")).List()
		for range 100 {
			ev := events.NewElement()
			randomFeedEvent(rng, ev.Message())
			events.Append(ev)
			env := envelopes.NewElement()
			randomEnvelope(rng, env.Message())
			envelopes.Append(env)
		}
		body, err := protojson.MarshalOptions{Resolver: api.Types}.Marshal(req.Interface())
		if err != nil {
			t.Fatal(err)
		}
		proto := protocols[round%len(protocols)]
		client := clientFor(t, proto)

		got := shapedEvents(t, client, "POST", base+"/v1/feed", string(body))
		if len(got) != events.Len()+1 {
			t.Fatalf("Feed: %d events for %d messages", len(got), events.Len())
		}
		for i := range events.Len() {
			msg := events.Get(i).Message()
			set := msg.WhichOneof(msg.Descriptor().Oneofs().ByName("event"))
			wantName, wantData := "", protojsonOf(t, api, msg.Interface())
			if set != nil {
				wantName, wantData = string(set.Name()), memberOf(t, wantData, set.JSONName(), "")
			}
			if got[i].Event != wantName || !bytes.Equal(got[i].Data, wantData) {
				t.Fatalf("Feed event %d: %q %s\nwant %q %s", i, got[i].Event, got[i].Data, wantName, wantData)
			}
			checked[wantName]++
		}

		got = shapedEvents(t, client, "POST", base+"/v1/wrapped", string(body))
		if len(got) != envelopes.Len()+1 {
			t.Fatalf("Wrapped: %d events for %d messages", len(got), envelopes.Len())
		}
		for i := range envelopes.Len() {
			msg := envelopes.Get(i).Message()
			wantName := msg.Get(msg.Descriptor().Fields().ByName("kind")).String()
			wantData := memberOf(t, protojsonOf(t, api, msg.Interface()), "payload", "{}")
			if got[i].Event != wantName || !bytes.Equal(got[i].Data, wantData) {
				t.Fatalf("Wrapped event %d: %q %s\nwant %q %s", i, got[i].Event, got[i].Data, wantName, wantData)
			}
		}
	}
	for _, name := range []string{"", "created", "deleted", "note", "count", "color", "at", "everything", "blob"} {
		if checked[name] == 0 {
			t.Errorf("no event %q was checked", name)
		}
	}
}

// protojsonOf returns protojson's JSON of m, compact.
func protojsonOf(t *testing.T, api *kitchensink.Descriptors, m protoreflect.ProtoMessage) []byte {
	t.Helper()
	b, err := protojson.MarshalOptions{Resolver: api.Types}.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	var compact bytes.Buffer
	if err := json.Compact(&compact, b); err != nil {
		t.Fatal(err)
	}
	return compact.Bytes()
}

// memberOf returns the member name of the JSON object obj, or absent when
// it has none.
func memberOf(t *testing.T, obj []byte, name, absent string) []byte {
	t.Helper()
	var members map[string]json.RawMessage
	if err := json.Unmarshal(obj, &members); err != nil {
		t.Fatal(err)
	}
	if v, ok := members[name]; ok {
		return v
	}
	return []byte(absent)
}

// randomFeedEvent fills a FeedEvent: a seq, and a random case of its
// oneof with a random value, or none.
func randomFeedEvent(rng *rand.Rand, m protoreflect.Message) {
	fields := m.Descriptor().Fields()
	m.Set(fields.ByName("seq"), protoreflect.ValueOfInt64(rng.Int64()))
	cases := m.Descriptor().Oneofs().ByName("event").Fields()
	pick := rng.IntN(cases.Len() + 1)
	if pick == cases.Len() {
		return // no case
	}
	fd := cases.Get(pick)
	if fd.Message() == nil {
		m.Set(fd, randomScalar(rng, fd))
		return
	}
	sub := m.Mutable(fd).Message()
	fillMessage(rng, sub, 2)
}

// randomEnvelope fills an Envelope: a kind among a few names (empty
// included), a random level, maybe a payload, and tags.
func randomEnvelope(rng *rand.Rand, m protoreflect.Message) {
	fields := m.Descriptor().Fields()
	kinds := []string{"", "created", "a b", "é"}
	m.Set(fields.ByName("kind"), protoreflect.ValueOfString(kinds[rng.IntN(len(kinds))]))
	m.Set(fields.ByName("level"), randomScalar(rng, fields.ByName("level")))
	if rng.IntN(4) != 0 {
		randomFeedEvent(rng, m.Mutable(fields.ByName("payload")).Message())
	}
	m.Set(fields.ByName("seq"), protoreflect.ValueOfInt64(rng.Int64()))
}
