// Package openapitest checks JSON and Server-Sent Events against the
// schemas of an OpenAPI 3.2 document, with a JSON Schema draft 2020-12
// validator (github.com/santhosh-tekuri/jsonschema) that asserts formats
// (date-time) and content: a string with contentMediaType
// application/json must hold JSON valid by its contentSchema, and one with
// contentEncoding base64 must be base64.
package openapitest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/ssegw/ssegw/sse"
)

// documentURL is the URL the document is known by to the validator.
const documentURL = "urn:ssegw:openapi.json"

// Document is an OpenAPI document whose schemas can be compiled.
type Document struct {
	compiler *jsonschema.Compiler
}

// New loads an OpenAPI document (JSON).
func New(doc []byte) (*Document, error) {
	v, err := jsonschema.UnmarshalJSON(bytes.NewReader(doc))
	if err != nil {
		return nil, fmt.Errorf("openapitest: %w", err)
	}
	c := jsonschema.NewCompiler()
	c.DefaultDraft(jsonschema.Draft2020)
	c.AssertFormat()
	c.AssertContent()
	if err := c.AddResource(documentURL, v); err != nil {
		return nil, fmt.Errorf("openapitest: %w", err)
	}
	return &Document{compiler: c}, nil
}

// Schema compiles the schema at a JSON pointer of the document, such as
// "/components/schemas/examples.demo.v1.Tick".
func (d *Document) Schema(pointer string) (*jsonschema.Schema, error) {
	s, err := d.compiler.Compile(documentURL + "#" + pointer)
	if err != nil {
		return nil, fmt.Errorf("openapitest: %w", err)
	}
	return s, nil
}

// Component compiles the component schema name.
func (d *Document) Component(name string) (*jsonschema.Schema, error) {
	return d.Schema("/components/schemas/" + escape(name))
}

// ItemSchema compiles the itemSchema of the text/event-stream 200 response
// of an operation, given by HTTP method and OpenAPI path.
func (d *Document) ItemSchema(method, path string) (*jsonschema.Schema, error) {
	return d.Schema(fmt.Sprintf("/paths/%s/%s/responses/200/content/text~1event-stream/itemSchema", escape(path), strings.ToLower(method)))
}

// Validate checks JSON text against s.
func Validate(s *jsonschema.Schema, data []byte) error {
	v, err := jsonschema.UnmarshalJSON(bytes.NewReader(data))
	if err != nil {
		return fmt.Errorf("openapitest: %w", err)
	}
	return s.Validate(v)
}

// EventObject is an event as OpenAPI 3.2 models it for validation: an
// object with "data", and "event", "id" and "retry" when the event has
// them.
func EventObject(ev sse.Event) map[string]any {
	obj := map[string]any{"data": string(ev.Data)}
	if ev.Event != "" {
		obj["event"] = ev.Event
	}
	if ev.ID != "" {
		obj["id"] = ev.ID
	}
	if ev.Retry > 0 {
		obj["retry"] = json.Number(strconv.FormatInt(ev.Retry.Milliseconds(), 10))
	}
	return obj
}

// escape escapes a JSON pointer token.
func escape(token string) string {
	return strings.ReplaceAll(strings.ReplaceAll(token, "~", "~0"), "/", "~1")
}
