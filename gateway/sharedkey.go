package gateway

import (
	"encoding/binary"
	"fmt"
	"slices"

	"google.golang.org/grpc/metadata"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"

	"github.com/ssegw/ssegw/internal/httprequest"
)

// Keys of shared streams.
//
// Requests share a backend call when their keys are equal: the method, the
// request message in the deterministic protobuf encoding (without the
// resume field when a Last-Event-ID filled it), and, unless the method's
// stream is public, the forwarded metadata: the allowlisted headers, the
// forwarded cookies and the access token, which is how callers with
// different credentials never share. Every part is length-prefixed, so
// that no two different requests have the same key.

// lastEventIDKey is the metadata that carries the client's Last-Event-ID.
const lastEventIDKey = "last-event-id"

// sharedKey returns the key of the stream a request asks for: m, req
// (less its resume field when a Last-Event-ID filled it, fromLastID), and
// md less the last event id (nothing of md when public).
func sharedKey(m *method, req proto.Message, md metadata.MD, public, fromLastID bool) (string, error) {
	if m.resume != nil && fromLastID {
		req = proto.Clone(req)
		clearScalarPath(req.ProtoReflect(), m.resume)
	}
	raw, err := proto.MarshalOptions{Deterministic: true}.Marshal(req)
	if err != nil {
		return "", fmt.Errorf("encoding the request: %w", err)
	}
	key := make([]byte, 0, len(m.fullName)+len(raw)+64)
	key = appendPart(key, m.fullName)
	key = appendPart(key, string(raw))
	if !public {
		names := make([]string, 0, len(md))
		for k := range md {
			if k != lastEventIDKey {
				names = append(names, k)
			}
		}
		slices.Sort(names)
		for _, k := range names {
			key = appendPart(key, k)
			key = binary.AppendUvarint(key, uint64(len(md[k])))
			for _, v := range md[k] {
				key = appendPart(key, v)
			}
		}
	}
	return string(key), nil
}

// appendPart appends s, length first.
func appendPart(dst []byte, s string) []byte {
	dst = binary.AppendUvarint(dst, uint64(len(s)))
	return append(dst, s...)
}

// clearScalarPath clears the field at p in m, and then the messages on
// the way to it that are left empty, so that a request whose resume field
// was filled from a Last-Event-ID has the key of the same request
// without it.
func clearScalarPath(m protoreflect.Message, p httprequest.ScalarPath) {
	path := []protoreflect.Message{m}
	for _, fd := range p[:len(p)-1] {
		if !m.Has(fd) {
			return
		}
		m = m.Mutable(fd).Message()
		path = append(path, m)
	}
	m.Clear(p[len(p)-1])
	for i := len(p) - 2; i >= 0; i-- {
		if !isEmpty(path[i+1]) {
			return
		}
		path[i].Clear(p[i])
	}
}

// isEmpty reports whether m has no field set and no unknown fields.
func isEmpty(m protoreflect.Message) bool {
	empty := len(m.GetUnknown()) == 0
	m.Range(func(protoreflect.FieldDescriptor, protoreflect.Value) bool {
		empty = false
		return false
	})
	return empty
}

// withoutLastEventID returns md without the last event id.
func withoutLastEventID(md metadata.MD) metadata.MD {
	out := make(metadata.MD, len(md))
	for k, v := range md {
		if k != lastEventIDKey {
			out[k] = v
		}
	}
	return out
}
