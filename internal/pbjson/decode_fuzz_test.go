package pbjson

import (
	"math/rand/v2"
	"testing"

	"google.golang.org/protobuf/reflect/protoreflect"
)

// FuzzDecode checks that the Decoder decodes any input as protojson does,
// into every kitchen-sink type (as dynamic messages) and with every option
// set: the same message, or an error from both. The seeds are what
// protojson writes for random messages, in all its styles, the hand-made
// cases of the unit tests, and mutations of both.
func FuzzDecode(f *testing.F) {
	d := kitchenSink(f)
	index := map[protoreflect.FullName]uint8{}
	for i, name := range kitchenSinkTypes {
		index[name] = uint8(i)
	}
	data, types := samples(f, d, 60, 11)
	r := rand.New(rand.NewPCG(12, 13))
	for i := range data {
		which := index[types[i].Descriptor().FullName()]
		f.Add(data[i], which, uint8(i))
		f.Add(mutate(r, data[i]), which, uint8(i+1))
	}
	for i, c := range decodeCases {
		f.Add([]byte(c.json), index["kitchensink.v1."+protoreflect.FullName(c.typ)], uint8(i))
	}
	optionSets := optionSets(d.Types)
	decoders := make([]*Decoder, len(optionSets))
	plans := NewDecodePlans()
	for i, opts := range optionSets {
		decoders[i] = NewDecoder(opts, plans)
	}
	f.Fuzz(func(t *testing.T, data []byte, which, options uint8) {
		mt := messageType(t, d, kitchenSinkTypes[int(which)%len(kitchenSinkTypes)])
		i := int(options) % len(optionSets)
		if err := compareWithProtojson(decoders[i], optionSets[i], mt, data); err != nil {
			t.Fatalf("options %+v: %v", optionSets[i], err)
		}
	})
}
