package pbjson

import (
	"errors"
	"fmt"
	"sync"

	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/reflect/protoregistry"
)

// An Encoder writes protobuf messages as JSON, exactly as protojson does
// with the same options but compact and stable, from their wire bytes. It
// compiles a plan per message type on first use and keeps it. An Encoder
// is safe for concurrent use.
type Encoder struct {
	opts     protojson.MarshalOptions
	resolver encResolver

	mu         sync.Mutex // guards compiling: plans, enums and extensions
	plans      map[protoreflect.MessageDescriptor]*encPlan
	enums      map[protoreflect.EnumDescriptor]*encEnum
	extensions map[protoreflect.ExtensionTypeDescriptor]*encField
	// compiled holds the plans looked up by descriptor once compiled,
	// read without the lock.
	compiled sync.Map // protoreflect.MessageDescriptor → *encPlan
	states   sync.Pool
}

// encResolver finds the types of google.protobuf.Any values and of
// extensions, as protojson's Resolver does.
type encResolver interface {
	protoregistry.ExtensionTypeResolver
	protoregistry.MessageTypeResolver
}

// NewEncoder returns an Encoder with protojson's options: UseProtoNames,
// UseEnumNumbers, EmitUnpopulated, EmitDefaultValues, AllowPartial and
// Resolver (protoregistry.GlobalTypes when nil) apply as in protojson.
// Multiline and Indent are ignored: the output is always compact.
func NewEncoder(opts protojson.MarshalOptions) *Encoder {
	opts.Multiline, opts.Indent = false, ""
	if opts.Resolver == nil {
		opts.Resolver = protoregistry.GlobalTypes
	}
	e := &Encoder{
		opts:       opts,
		resolver:   opts.Resolver,
		plans:      map[protoreflect.MessageDescriptor]*encPlan{},
		enums:      map[protoreflect.EnumDescriptor]*encEnum{},
		extensions: map[protoreflect.ExtensionTypeDescriptor]*encField{},
	}
	e.states.New = func() any { return &encState{e: e} }
	return e
}

// Type returns the encoder of messages of type mt, compiling its plan.
func (e *Encoder) Type(mt protoreflect.MessageType) *TypeEncoder {
	p := e.plan(mt.Descriptor())
	return &TypeEncoder{e: e, mt: mt, plan: p, fallback: encUnsupported(p)}
}

// MarshalAppend appends the JSON of m to dst. It marshals m to its wire
// bytes first: it suits messages that are written now and then, such as
// errors, and is for a stream's messages what [TypeEncoder.MarshalWire]
// is for their wire bytes.
func (e *Encoder) MarshalAppend(dst []byte, m proto.Message) ([]byte, error) {
	if m == nil {
		return append(dst, "{}"...), nil
	}
	wire, err := proto.MarshalOptions{AllowPartial: true}.Marshal(m)
	if err != nil {
		return dst, err
	}
	out, err := e.transcode(dst, e.plan(m.ProtoReflect().Descriptor()), wire)
	if errors.Is(err, ErrNotCovered) {
		return e.fallbackMessage(dst, m)
	}
	return out, err
}

// plan returns the compiled plan of md.
func (e *Encoder) plan(md protoreflect.MessageDescriptor) *encPlan {
	if p, ok := e.compiled.Load(md); ok {
		return p.(*encPlan)
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	p := e.compilePlan(md)
	e.compiled.Store(md, p)
	return p
}

// transcode appends the JSON of the wire bytes of a message of plan p to
// dst. It returns ErrNotCovered when protojson must write the message.
func (e *Encoder) transcode(dst []byte, p *encPlan, wire []byte) ([]byte, error) {
	s := e.states.Get().(*encState)
	s.out = dst
	s.checkRequired = !e.opts.AllowPartial
	err := s.message(p, wire, nil)
	out := s.out
	s.reset()
	e.states.Put(s)
	if err != nil {
		return dst, err
	}
	return out, nil
}

// A TypeEncoder writes messages of one type as JSON from their wire bytes.
// It is safe for concurrent use.
type TypeEncoder struct {
	e        *Encoder
	mt       protoreflect.MessageType
	plan     *encPlan
	fallback error
}

// MarshalWire appends the JSON of the message whose wire bytes are wire to
// dst. It fails as protojson does (on invalid UTF-8, a missing required
// field without AllowPartial, a google.protobuf.Any whose type cannot be
// resolved, a timestamp out of range, …) and on malformed wire bytes.
func (t *TypeEncoder) MarshalWire(dst, wire []byte) ([]byte, error) {
	if t.fallback == nil {
		out, err := t.e.transcode(dst, t.plan, wire)
		if !errors.Is(err, ErrNotCovered) {
			return out, err
		}
	}
	return t.e.fallbackWire(dst, t.mt, wire)
}

// MarshalWireNoFallback is MarshalWire without protojson: for a message
// that the plan of its type does not cover, it returns ErrNotCovered. It
// tells what the plans cover, to tests and measurements.
func (t *TypeEncoder) MarshalWireNoFallback(dst, wire []byte) ([]byte, error) {
	if t.fallback != nil {
		return dst, ErrNotCovered
	}
	return t.e.transcode(dst, t.plan, wire)
}

// Fallback returns why protojson writes every message of the type (after
// decoding it), or nil when its plan does. Single messages may still be
// written by protojson when their plan meets what it does not cover.
func (t *TypeEncoder) Fallback() error {
	return t.fallback
}

// encUnsupported returns why p, or a plan it refers to, is not covered.
func encUnsupported(p *encPlan) error {
	seen := map[*encPlan]bool{}
	var walk func(p *encPlan) error
	walk = func(p *encPlan) error {
		if p == nil || seen[p] {
			return nil
		}
		seen[p] = true
		if p.unsupported != nil {
			return p.unsupported
		}
		for i := range p.fields {
			f := &p.fields[i]
			if f.isMap {
				f = f.val
			}
			if err := walk(f.msg); err != nil {
				return fmt.Errorf("%s: %w", p.md.FullName(), err)
			}
		}
		return nil
	}
	return walk(p)
}
