package pbjson

import (
	"math/rand/v2"
	"strings"
	"sync"
	"testing"

	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"

	benchv1 "github.com/ssegw/ssegw/gen/bench/v1"
	demov1 "github.com/ssegw/ssegw/gen/examples/demo/v1"
)

// decodeCase is JSON for a kitchen-sink type, and whether the plan
// decodes it alone (with DiscardUnknown) or leaves it to protojson.
type decodeCase struct {
	typ    protoreflect.Name
	json   string
	byPlan bool
}

var decodeCases = []decodeCase{
	// Names: JSON name, proto name, json_name, groups.
	{"Everything", `{"int32Value":1,"string_value":"a","customName":"x","field2NameX":3}`, true},
	{"Everything", `{"renamed":"x"}`, true},
	{"Everything", `{"field_2_name_x":3}`, true},
	{"Everything", `{"Int32Value":1}`, true}, // unknown: discarded or an error
	{"Legacy", `{"id":"a","item":{"title":"t","rank":2}}`, true},
	{"Legacy", `{"id":"a","Item":{"title":"t"}}`, true},
	{"Modern", `{"requiredId":"1","delimited":{"title":"t","level":"LEVEL_HIGH"},"part":{"level":2}}`, true},
	// Duplicates and oneofs.
	{"Everything", `{"int32Value":1,"int32_value":2}`, false},
	{"Everything", `{"int32Value":null,"int32Value":2}`, false},
	{"Everything", `{"choiceString":"a","choiceInt64":"1"}`, false},
	{"Everything", `{"choiceString":null,"choiceInt64":"1"}`, true},
	{"Everything", `{"choiceColor":"NOPE","choiceInt64":"1"}`, false},
	{"Everything", `{"choiceInner":{},"choiceString":""}`, false},
	{"Everything", `{"optionalInt32":0,"optionalString":"","optionalBool":false}`, true},
	// Numbers: strings, exponents, ranges.
	{"Everything", `{"int32Value":-2147483648,"int64Value":"-9223372036854775808","uint32Value":4294967295,"uint64Value":"18446744073709551615"}`, true},
	{"Everything", `{"int32Value":"12","sint32Value":"-3","fixed32Value":"7","sfixed64Value":-9}`, true},
	{"Everything", `{"int32Value":2147483648}`, false},
	{"Everything", `{"uint32Value":-1}`, false},
	{"Everything", `{"uint64Value":"-0"}`, false},
	{"Everything", `{"int32Value":"-0"}`, true},
	{"Everything", `{"int32Value":1e2}`, false},
	{"Everything", `{"int32Value":1.0}`, false},
	{"Everything", `{"int32Value":1.5}`, false},
	{"Everything", `{"int64Value":"1e2"}`, false},
	{"Everything", `{"int32Value":" 1"}`, false},
	{"Everything", `{"int32Value":"01"}`, false},
	{"Everything", `{"int32Value":"1 2"}`, false},
	{"Everything", `{"int32Value":"\u0031"}`, false},
	{"Everything", `{"int32Value":true}`, false},
	{"Everything", `{"doubleValue":"NaN","floatValue":"-Infinity","repeatedDouble":["Infinity",1e308,"-0",-1.5e-300]}`, true},
	{"Everything", `{"floatValue":3.4e39}`, false},
	{"Everything", `{"floatValue":"1e-50","doubleValue":1e400}`, false},
	{"Everything", `{"doubleValue":"1.5E+3","floatValue":"-0.0"}`, true},
	{"Everything", `{"doubleValue":"nan"}`, false},
	// Bools, strings, bytes.
	{"Everything", `{"boolValue":true,"repeatedBool":[false,true]}`, true},
	{"Everything", `{"boolValue":"true"}`, false},
	{"Everything", `{"stringValue":"a\"b\\c\n\u00e9\ud83c\udf89\u2028"}`, true},
	{"Everything", `{"stringValue":"\ud800"}`, false},
	{"Everything", "{\"stringValue\":\"\xff\"}", false},
	{"Everything", `{"stringValue":1}`, false},
	{"Everything", `{"bytesValue":"AQID","repeatedBytes":["AQI=","AQI","-_8","_w==",""]}`, true},
	{"Everything", `{"bytesValue":"AQ\u0049D"}`, true},
	{"Everything", `{"bytesValue":"A"}`, false},
	{"Everything", `{"bytesValue":"AQ=D"}`, false},
	{"Everything", `{"bytesValue":"AQ\nID"}`, true},
	// Enums.
	{"Everything", `{"color":"CRIMSON","repeatedColor":["RED",2,"BLUE",99],"optionalColor":0}`, true},
	{"Everything", `{"color":"PURPLE"}`, true}, // dropped with DiscardUnknown
	{"Everything", `{"repeatedColor":["PURPLE","RED"]}`, true},
	{"Everything", `{"color":"1"}`, true},
	{"Everything", `{"color":1.0}`, false},
	{"Everything", `{"color":2147483648}`, false},
	{"Legacy", `{"id":"a","kind":2,"kinds":["KIND_ONE",3]}`, true},
	{"Legacy", `{"id":"a","kind":9}`, false}, // closed enum
	{"Modern", `{"requiredId":"1","strictness":5}`, false},
	{"Modern", `{"requiredId":"1","level":77,"levels":{"a":"LEVEL_LOW","b":5}}`, true},
	// Null.
	{"Everything", `{"inner":null,"repeatedInt32":null,"mapInt32":null,"timestamp":null,"stringValue":null}`, true},
	{"Everything", `{"repeatedInt32":[1,null]}`, false},
	{"Everything", `{"repeatedInner":[null]}`, false},
	{"Everything", `{"mapString":{"a":null}}`, false},
	{"Everything", `{"value":null}`, true},
	{"Everything", `{"mapValue":{"a":null,"b":{"x":[1,"y",null]}}}`, true},
	{"Everything", `null`, false},
	// Messages, lists, maps.
	{"Everything", `{"inner":{"name":"n","inner":{"count":"5"}},"repeatedInner":[{},{"colors":["GREEN"]}],"child":{"child":{"int32Value":1}}}`, true},
	{"Everything", `{"inner":[]}`, false},
	{"Everything", `{"repeatedInt32":{}}`, false},
	{"Everything", `{"repeatedString":["` + strings.Repeat("x", 300) + `"]}`, true},
	{"Node", `{"label":"root","children":[{"label":"a","named":{"x":{"label":"` + strings.Repeat("y", 200) + `"}}}],"next":{"next":{}}}`, true},
	{"Everything", `{"mapInt32":{"1":"a","-2":"b"},"mapUint64":{"18446744073709551615":"m"},"mapBool":{"true":"t","false":"f"},"mapSfixed64":{"-9223372036854775808":"x"}}`, true},
	{"Everything", `{"mapInt32":{"+1":"a","007":"b"}}`, true},
	{"Everything", `{"mapInt32":{"1":"a","01":"b"}}`, false},
	{"Everything", `{"mapString":{"a":"x","a":"y"}}`, false},
	{"Everything", `{"mapUint32":{"+1":"a"}}`, false},
	{"Everything", `{"mapBool":{"True":"a"}}`, false},
	{"Everything", `{"mapInt64":{" 1":"a"}}`, false},
	{"Everything", `{"mapInner":{"k":{"name":"` + strings.Repeat("z", 150) + `"},"l":{}},"mapColor":{"c":"BLUE"},"mapBytes":{"b":"AQ=="},"mapDouble":{"d":"NaN"}}`, true},
	{"Everything", `{"mapColor":{"c":"PURPLE"}}`, false},
	// Well-known types, read by protojson inside the plan.
	{"Everything", `{"timestamp":"2024-01-02T03:04:05.123Z","duration":"-1.5s","fieldMask":"a.bC,d","emptyValue":{}}`, true},
	{"Everything", `{"timestamp":"2024-01-02T03:04:05Z","duration":"1s","fieldMask":"aB","empty":{},"struct":{"a":{"b":[true,null,1.5,"s"]}},"listValue":[1,{}],"doubleWrapper":"NaN","int64Wrapper":"5","bytesWrapper":"AQ==","stringWrapper":"s","boolWrapper":false,"uint32Wrapper":4294967295}`, true},
	{"Everything", `{"any":{"@type":"type.googleapis.com/kitchensink.v1.BackendOnly","secret":"s","ttl":"2s"}}`, true},
	{"Everything", `{"any":{"value":"3s","@type":"type.googleapis.com/google.protobuf.Duration"}}`, true},
	{"Everything", `{"any":{"@type":"type.googleapis.com/unknown.Type"}}`, false},
	{"Everything", `{"repeatedTimestamp":["1970-01-01T00:00:00Z"],"repeatedAny":[{"@type":"type.googleapis.com/google.protobuf.Value","value":null}],"repeatedInt64Wrapper":["1",2]}`, true},
	{"Everything", `{"timestamp":"10000-01-01T00:00:00Z"}`, false},
	{"Everything", `{"duration":"315576000001s"}`, false},
	{"Everything", `{"fieldMask":"a_b"}`, false},
	{"Everything", `{"choiceTime":"2024-01-02T03:04:05Z","choiceEmpty":{}}`, false},
	{"Everything", `{"choiceEmpty":{}}`, true},
	// Required fields and extensions.
	{"Legacy", `{"count":1}`, false},
	{"Legacy", `{"id":"a","child":{"count":1}}`, false},
	{"Legacy", `{"id":"a","[kitchensink.v1.note]":"n","[kitchensink.v1.marks]":[1,2]}`, false},
	{"Modern", `{}`, true},
	// Syntax.
	{"Everything", `{"int32Value":1,}`, false},
	{"Everything", `{"int32Value":1} {}`, false},
	{"Everything", " \n{\"int32Value\" : 1 }\t\n", true},
	{"Everything", `{"int32Value":1`, false},
	{"Everything", `[]`, false},
	{"Everything", ``, false},
	{"Everything", `{"unknown":{"a":1,"a":[1,2,{"b":null}]},"int32Value":1}`, true},
	{"Everything", `{"unknown":{"a":1,}}`, false},
	{"Everything", `{"unknown":"\ud800"}`, false},
	{"Everything", `{"in\u007432Value":4}`, true},
}

func TestDecodeMatchesProtojson(t *testing.T) {
	d := kitchenSink(t)
	for _, opts := range optionSets(d.Types) {
		dec := NewDecoder(opts, nil)
		for _, c := range decodeCases {
			mt := messageType(t, d, "kitchensink.v1."+protoreflect.FullName(c.typ))
			if err := compareWithProtojson(dec, opts, mt, []byte(c.json)); err != nil {
				t.Errorf("options %+v: %v", opts, err)
			}
		}
	}
}

// TestDecodeByPlan checks which input the plan decodes alone, so that the
// fast path is known to be taken where it should be (and protojson to
// decide the rest).
func TestDecodeByPlan(t *testing.T) {
	d := kitchenSink(t)
	dec := NewDecoder(protojson.UnmarshalOptions{DiscardUnknown: true, Resolver: d.Types}, nil)
	for _, c := range decodeCases {
		mt := messageType(t, d, "kitchensink.v1."+protoreflect.FullName(c.typ))
		err := byPlan(dec, mt, []byte(c.json))
		if (err == nil) != c.byPlan {
			t.Errorf("%s %s: by the plan alone: %v, want success %v", c.typ, c.json, err, c.byPlan)
		}
	}
}

// TestDecodeSamples checks the decoder on JSON that protojson writes for
// random messages of every kitchen-sink type, in all its styles.
func TestDecodeSamples(t *testing.T) {
	d := kitchenSink(t)
	data, types := samples(t, d, 700, 1)
	for _, opts := range optionSets(d.Types) {
		dec := NewDecoder(opts, nil)
		planned := 0
		for i := range data {
			if err := compareWithProtojson(dec, opts, types[i], data[i]); err != nil {
				t.Fatalf("options %+v: %v", opts, err)
			}
			if byPlan(dec, types[i], data[i]) == nil {
				planned++
			}
		}
		// The samples that protojson rejects (a required field unset, a
		// deep message with a low RecursionLimit, extensions) are its to decide;
		// most of the others are the plan's.
		t.Logf("options %+v: the plan decoded %d of %d samples", opts, planned, len(data))
		if planned < len(data)*3/4 {
			t.Errorf("options %+v: the plan decoded %d of %d samples", opts, planned, len(data))
		}
	}
}

// TestDecodeMutations checks the decoder on damaged JSON: bytes changed,
// dropped, doubled, and tokens swapped, as a fuzzer would, within the
// test's time.
func TestDecodeMutations(t *testing.T) {
	d := kitchenSink(t)
	data, types := samples(t, d, 200, 2)
	r := rand.New(rand.NewPCG(3, 4))
	for _, opts := range optionSets(d.Types)[:2] {
		dec := NewDecoder(opts, nil)
		for i := range data {
			for range 10 {
				m := mutate(r, data[i])
				if err := compareWithProtojson(dec, opts, types[i], m); err != nil {
					t.Fatalf("options %+v: %v", opts, err)
				}
			}
		}
	}
}

// mutate returns a damaged copy of b.
func mutate(r *rand.Rand, b []byte) []byte {
	b = append([]byte(nil), b...)
	if len(b) == 0 {
		return b
	}
	tokens := []string{"null", "0", "-0", "1e2", `"1"`, `"NaN"`, "true", "{}", "[]", `""`, `"\u0000"`, ",", ":", `"A="`, "99", "-1", `"RED"`, `"x"`, "18446744073709551616"}
	i := r.IntN(len(b))
	switch r.IntN(5) {
	case 0:
		b[i] = byte(r.Uint32())
	case 1:
		b = append(b[:i], b[i+1:]...)
	case 2:
		j := i + r.IntN(len(b)-i)
		b = append(b[:j], append(append([]byte(nil), b[i:j]...), b[j:]...)...)
	default:
		// Replace the value after a colon with another token.
		j := strings.IndexByte(string(b[i:]), ':')
		if j < 0 {
			return b
		}
		start := i + j + 1
		end := start
		for end < len(b) && b[end] != ',' && b[end] != '}' && b[end] != ']' {
			end++
		}
		tok := tokens[r.IntN(len(tokens))]
		b = append(b[:start], append([]byte(tok), b[end:]...)...)
	}
	return b
}

// TestDecodeGeneratedTypes checks the decoder on compiled-in types, as
// sseclient users decode into them.
func TestDecodeGeneratedTypes(t *testing.T) {
	opts := protojson.UnmarshalOptions{DiscardUnknown: true}
	dec := NewDecoder(opts, nil)
	msgs := []proto.Message{
		&benchv1.StreamMessage{Seq: 42, SentUnixNano: 1764680000123456789, Payload: strings.Repeat("p", 4000)},
		&benchv1.StreamMessage{},
		&demov1.SequenceEvent{Name: "streams/demo", Seq: -3, Payload: "é\n\"x\""},
		&demov1.FailRequest{Code: 5, Violations: []*demov1.FieldViolation{{Field: "a", Description: "b"}, {}}},
	}
	for _, m := range msgs {
		for _, mo := range marshalOptionSets {
			data, err := mo.Marshal(m)
			if err != nil {
				t.Fatal(err)
			}
			mt := m.ProtoReflect().Type()
			if err := compareWithProtojson(dec, opts, mt, data); err != nil {
				t.Error(err)
			}
			if err := byPlan(dec, mt, data); err != nil {
				t.Errorf("%s %s: not by the plan: %v", mt.Descriptor().FullName(), data, err)
			}
		}
	}
}

// TestDecodeAllocs checks that decoding allocates at most once more than
// proto.Unmarshal of the same message.
func TestDecodeAllocs(t *testing.T) {
	dec := NewDecoder(protojson.UnmarshalOptions{DiscardUnknown: true}, nil)
	for _, size := range []int{100, 4096} {
		m := &benchv1.StreamMessage{Seq: 7, SentUnixNano: 1764680000123456789, Payload: strings.Repeat("p", size-24)}
		data, _ := protojson.Marshal(m)
		wire, _ := proto.Marshal(m)
		protoAllocs := testing.AllocsPerRun(100, func() {
			var out benchv1.StreamMessage
			if err := proto.Unmarshal(wire, &out); err != nil {
				t.Fatal(err)
			}
		})
		allocs := testing.AllocsPerRun(100, func() {
			var out benchv1.StreamMessage
			if err := dec.Unmarshal(data, &out); err != nil {
				t.Fatal(err)
			}
		})
		if allocs > protoAllocs+1 {
			t.Errorf("%d B: %.1f allocations per message, proto.Unmarshal %.1f", size, allocs, protoAllocs)
		}
	}
}

// TestDecoderConcurrent uses one Decoder and one cache of plans from many
// goroutines, for the race detector.
func TestDecoderConcurrent(t *testing.T) {
	d := kitchenSink(t)
	data, types := samples(t, d, 70, 5)
	plans := NewDecodePlans()
	opts := protojson.UnmarshalOptions{DiscardUnknown: true, Resolver: d.Types}
	dec := NewDecoder(opts, plans)
	other := NewDecoder(protojson.UnmarshalOptions{Resolver: d.Types}, plans)
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for g := range 8 {
		wg.Go(func() {
			for i := range data {
				dd, o := dec, opts
				if (i+g)%2 == 0 {
					dd, o = other, protojson.UnmarshalOptions{Resolver: d.Types}
				}
				if err := compareWithProtojson(dd, o, types[i], data[i]); err != nil {
					errs <- err
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}
