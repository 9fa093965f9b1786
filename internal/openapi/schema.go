package openapi

import "encoding/json"

// Schema is a JSON Schema (draft 2020-12, the dialect of OpenAPI 3.1 and
// 3.2) with the keywords the document uses, written in a fixed order. A
// Schema made by boolSchema is written as true or false.
type Schema struct {
	Ref                  string           `json:"$ref,omitempty"`
	Title                string           `json:"title,omitempty"`
	Description          string           `json:"description,omitempty"`
	Deprecated           bool             `json:"deprecated,omitempty"`
	Type                 any              `json:"type,omitempty"` // a string, or a list of strings
	Format               string           `json:"format,omitempty"`
	Pattern              string           `json:"pattern,omitempty"`
	Minimum              json.Number      `json:"minimum,omitempty"`
	Maximum              json.Number      `json:"maximum,omitempty"`
	Const                json.RawMessage  `json:"const,omitempty"`
	Enum                 []any            `json:"enum,omitempty"`
	ContentMediaType     string           `json:"contentMediaType,omitempty"`
	ContentEncoding      string           `json:"contentEncoding,omitempty"`
	ContentSchema        *Schema          `json:"contentSchema,omitempty"`
	Items                *Schema          `json:"items,omitempty"`
	Properties           *object[*Schema] `json:"properties,omitempty"`
	PatternProperties    *object[*Schema] `json:"patternProperties,omitempty"`
	AdditionalProperties *Schema          `json:"additionalProperties,omitempty"`
	PropertyNames        *Schema          `json:"propertyNames,omitempty"`
	DependentSchemas     *object[*Schema] `json:"dependentSchemas,omitempty"`
	Required             []string         `json:"required,omitempty"`
	AnyOf                []*Schema        `json:"anyOf,omitempty"`
	boolean              *bool
}

// boolSchema returns the schema that accepts every value (true) or none
// (false).
func boolSchema(v bool) *Schema { return &Schema{boolean: &v} }

// ref returns a schema that refers to the component schema name.
func ref(name string) *Schema { return &Schema{Ref: componentRef(name)} }

// componentRef is the reference to the component schema name.
func componentRef(name string) string { return "#/components/schemas/" + name }

// constant returns a schema whose only value is v.
func constant(v any) *Schema {
	b, err := marshal(v)
	if err != nil {
		panic(err) // v is a string or a number
	}
	return &Schema{Const: b}
}

// nullable returns a schema that also accepts null.
func nullable(s *Schema) *Schema {
	return &Schema{AnyOf: []*Schema{s, {Type: "null"}}}
}

// withDescription returns s with a description; a reference keeps its own
// description beside $ref, as draft 2020-12 allows.
func withDescription(s *Schema, desc string) *Schema {
	if desc == "" {
		return s
	}
	c := *s
	if c.Description != "" {
		c.Description = desc + "\n\n" + c.Description
	} else {
		c.Description = desc
	}
	return &c
}

// property adds a property to s.
func (s *Schema) property(name string, p *Schema) *Schema {
	if s.Properties == nil {
		s.Properties = &object[*Schema]{}
	}
	s.Properties.set(name, p)
	return s
}

// MarshalJSON writes s.
func (s *Schema) MarshalJSON() ([]byte, error) {
	if s.boolean != nil {
		return marshal(*s.boolean)
	}
	type plain Schema
	return marshal((*plain)(s))
}
