package pbjson

import (
	"errors"
	"sync"
	"sync/atomic"

	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
)

// Decoder reads protobuf messages from their protojson form, as
// protojson.UnmarshalOptions.Unmarshal does with the same options, at a
// few times the cost of proto.Unmarshal of the binary form instead of
// protojson's eight to ten.
//
// For each message type it compiles a plan from the descriptor that turns
// the JSON text, in one pass of a streaming tokenizer, into protobuf wire
// bytes, which proto.Unmarshal then reads into the message. What a plan
// does not cover (extensions, a field name or number written in an
// unusual way, and anything protojson rejects) is decoded by protojson
// itself, so the result is always protojson's: the same message, or an
// error. Well-known types inside a message are decoded by protojson one
// value at a time.
//
// A Decoder is safe for concurrent use.
type Decoder struct {
	opts   protojson.UnmarshalOptions
	unwire proto.UnmarshalOptions
	plans  *DecodePlans
	// spare is a state at hand for the next call, which is all that one
	// goroutine decoding a stream needs; states holds more for
	// concurrent calls.
	spare  atomic.Pointer[decodeState]
	states sync.Pool // of *decodeState
}

// NewDecoder returns a Decoder with the options of protojson that it
// matches (DiscardUnknown, AllowPartial, Resolver, RecursionLimit). Plans
// are kept in plans, which decoders with other options may share; nil
// gives the Decoder a cache of its own.
func NewDecoder(opts protojson.UnmarshalOptions, plans *DecodePlans) *Decoder {
	if plans == nil {
		plans = NewDecodePlans()
	}
	return &Decoder{
		opts:   opts,
		unwire: proto.UnmarshalOptions{AllowPartial: opts.AllowPartial},
		plans:  plans,
	}
}

// Unmarshal reads the JSON in data into m, replacing its contents, with
// the result and errors of protojson.
func (d *Decoder) Unmarshal(data []byte, m proto.Message) error {
	if err := d.unmarshalPlan(data, m); err != nil {
		// protojson decides what the plan could not: it either accepts
		// what the plan left to it, or gives its own error.
		return d.opts.Unmarshal(data, m)
	}
	return nil
}

// unmarshalPlan reads data into m by its type's plan alone.
func (d *Decoder) unmarshalPlan(data []byte, m proto.Message) error {
	s := d.spare.Swap(nil)
	if s == nil {
		s, _ = d.states.Get().(*decodeState)
	}
	if s == nil {
		s = &decodeState{}
	}
	// A stream decodes one type over and over: the state keeps the last
	// plan at hand.
	md := m.ProtoReflect().Descriptor()
	if md != s.lastType {
		s.lastType, s.lastPlan = md, d.plans.plan(md)
	}
	err := errFallback
	if s.lastPlan != nil {
		err = s.transcode(d, s.lastPlan, data)
	}
	if err == nil {
		err = d.unwire.Unmarshal(s.r.wire, m)
	}
	s.release()
	if !d.spare.CompareAndSwap(nil, s) {
		d.states.Put(s)
	}
	return err
}

// errFallback reports input that the plan leaves to protojson.
var errFallback = errors.New("pbjson: left to protojson")

// decodeState is what one Unmarshal call keeps for the next.
type decodeState struct {
	// lastType and lastPlan are the type of the last message decoded
	// and its plan.
	lastType protoreflect.MessageDescriptor
	lastPlan *decodePlan
	// r is the reader, kept with its buffers; its wire bytes are those
	// of the last call until proto.Unmarshal has read them.
	r reader
}

// decodeBuffers are the buffers that a call grows, reused.
type decodeBuffers struct {
	wire []byte
	// seen holds, for each message being read, a bit set of its fields
	// and then one of its oneofs, as protojson tracks them.
	seen []uint64
	// keys holds the spans of the keys written for the maps being read,
	// to find duplicate keys.
	keys []keySpan
	// text holds a string being unquoted.
	text []byte
}

// keySpan is where an encoded map key lies in the wire bytes.
type keySpan struct{ start, end int }

// maxKeepBytes is the largest buffer a state keeps between calls.
const maxKeepBytes = 1 << 20

// release lets go of the input, and of buffers grown by an unusually
// large message.
func (s *decodeState) release() {
	s.r.lex.data, s.r.lex.cur = nil, nil
	if cap(s.r.wire) > maxKeepBytes {
		s.r.wire = nil
	}
	if cap(s.r.text) > maxKeepBytes {
		s.r.text = nil
	}
}

// transcode turns the JSON in data into the wire bytes of plan's message
// in s.r.wire, or fails with errFallback.
func (s *decodeState) transcode(d *Decoder, plan *decodePlan, data []byte) error {
	limit := d.opts.RecursionLimit
	if limit == 0 {
		limit = defaultRecursionLimit
	}
	r := &s.r
	r.d, r.depth, r.level = d, limit, 0
	r.wire, r.seen, r.keys = r.wire[:0], r.seen[:0], r.keys[:0]
	r.lex.reset(data)
	err := r.message(plan)
	if err == nil && !r.lex.atEnd() {
		err = errFallback // more than one value
	}
	r.lex.release()
	return err
}

const (
	// defaultRecursionLimit is protojson's default RecursionLimit.
	defaultRecursionLimit = 10000
	// maxPlanDepth is the deepest nesting of messages a plan reads;
	// deeper input is left to protojson, which applies its own limit.
	maxPlanDepth = 100
)
