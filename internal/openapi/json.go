package openapi

import (
	"bytes"
	"encoding/json"
)

// object is a JSON object whose members are written in the order they were
// first set, so that the document lists routes, fields and responses in a
// stable, meaningful order.
type object[V any] struct {
	keys   []string
	values map[string]V
}

// set sets the member k, keeping its place when it exists.
func (o *object[V]) set(k string, v V) {
	if o.values == nil {
		o.values = map[string]V{}
	}
	if _, ok := o.values[k]; !ok {
		o.keys = append(o.keys, k)
	}
	o.values[k] = v
}

// get returns the member k.
func (o *object[V]) get(k string) (V, bool) {
	v, ok := o.values[k]
	return v, ok
}

// len returns the number of members.
func (o *object[V]) len() int { return len(o.keys) }

// MarshalJSON writes the members in order.
func (o *object[V]) MarshalJSON() ([]byte, error) {
	var b bytes.Buffer
	b.WriteByte('{')
	for i, k := range o.keys {
		if i > 0 {
			b.WriteByte(',')
		}
		key, err := marshal(k)
		if err != nil {
			return nil, err
		}
		b.Write(key)
		b.WriteByte(':')
		value, err := marshal(o.values[k])
		if err != nil {
			return nil, err
		}
		b.Write(value)
	}
	b.WriteByte('}')
	return b.Bytes(), nil
}

// marshal encodes v as compact JSON without escaping <, > and &, which
// descriptions such as "map<string, Node>" contain.
func marshal(v any) ([]byte, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(b.Bytes(), []byte("\n")), nil
}
