package pbjson

import (
	"fmt"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
)

// fallbackWire writes the message of type mt whose wire bytes are wire
// with protojson, after decoding it as the plans read the wire format.
// A panic of the decoder, which some malformed bytes cause in
// protobuf-go's decoder of dynamic messages, is an error.
func (e *Encoder) fallbackWire(dst []byte, mt protoreflect.MessageType, wire []byte) (out []byte, err error) {
	defer func() {
		if p := recover(); p != nil {
			out, err = dst, fmt.Errorf("%s: decoding failed: %v", mt.Descriptor().FullName(), p)
		}
	}()
	m := mt.New().Interface()
	if err := (proto.UnmarshalOptions{AllowPartial: true, Resolver: e.resolver}).Unmarshal(wire, m); err != nil {
		return dst, err
	}
	return e.fallbackMessage(dst, m)
}

// fallbackMessage writes m with protojson, compacted.
func (e *Encoder) fallbackMessage(dst []byte, m proto.Message) ([]byte, error) {
	out, err := e.opts.MarshalAppend(dst, m)
	if err != nil {
		return dst, err
	}
	n := encCompact(out[len(dst):])
	return out[:len(dst)+n], nil
}

// encCompact removes the white space outside strings from the JSON in b,
// in place, and returns the length of the result.
func encCompact(b []byte) int {
	n := 0
	inString, escaped := false, false
	for _, c := range b {
		switch {
		case inString:
			switch {
			case escaped:
				escaped = false
			case c == '\\':
				escaped = true
			case c == '"':
				inString = false
			}
		case c == '"':
			inString = true
		case c == ' ' || c == '\n' || c == '\r' || c == '\t':
			continue
		}
		b[n] = c
		n++
	}
	return n
}
