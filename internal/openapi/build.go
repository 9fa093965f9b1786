package openapi

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"net/http"
	"regexp"
	"slices"
	"strings"

	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/types/descriptorpb"
)

// Version is the OpenAPI version of the documents Build writes.
const Version = "3.2.0"

// Build returns the OpenAPI 3.2 document that describes routes, as
// indented JSON. The same routes and options give the same bytes: paths
// and operations come in the order of routes, component schemas in the
// order of their names.
//
// The schemas follow protojson's mapping with the marshal options given
// by WithMarshalOptions, and carry the comments of the .proto sources when
// the descriptors have them. A streaming route's 200 response is
// text/event-stream with an itemSchema, a component schema per method that
// describes each event as an EventSource delivers it: its name, id and
// data, whose contentSchema is the schema of the JSON it holds.
func Build(desc Info, routes []Route, opts ...Option) ([]byte, error) {
	cfg := defaultConfig()
	for _, opt := range opts {
		opt(&cfg)
	}
	b := &builder{
		cfg:        cfg,
		comps:      newComponents(cfg.marshal),
		operations: map[string]bool{},
		shapes:     map[string]string{},
		events:     map[protoreflect.FullName]*Schema{},
		tags:       map[string]bool{},
		doc: document{
			OpenAPI: Version,
			Info:    info{Title: desc.Title, Description: desc.Description, Version: desc.Version},
			Servers: desc.Servers,
			Paths:   &object[*pathItem]{},
		},
	}
	if b.doc.Info.Title == "" {
		b.doc.Info.Title = "ssegw"
	}
	if b.doc.Info.Version == "" {
		b.doc.Info.Version = "0"
	}
	if len(b.doc.Servers) == 0 {
		b.doc.Servers = []Server{{URL: "/"}}
	}
	for _, rt := range routes {
		if err := b.add(rt); err != nil {
			return nil, fmt.Errorf("openapi: %s %s: %w", rt.Method, rt.Path, err)
		}
	}
	b.errorComponents()
	b.doc.Components.Schemas = &object[*Schema]{}
	for _, name := range slices.Sorted(maps.Keys(b.comps.schemas)) {
		b.doc.Components.Schemas.set(name, b.comps.schemas[name])
	}
	raw, err := marshal(b.doc)
	if err != nil {
		return nil, fmt.Errorf("openapi: %w", err)
	}
	var out bytes.Buffer
	if err := json.Indent(&out, raw, "", "  "); err != nil {
		return nil, fmt.Errorf("openapi: %w", err)
	}
	out.WriteByte('\n')
	return out.Bytes(), nil
}

// builder builds one document.
type builder struct {
	cfg        config
	comps      *components
	doc        document
	operations map[string]bool                   // operation ids taken
	shapes     map[string]string                 // each path by its form with unnamed parameters
	events     map[protoreflect.FullName]*Schema // event schema of each streaming method
	tags       map[string]bool
	streams    bool // some route is a stream
	endEvents  bool // some stream ends with an "end" event
	bodies     bool // some route has a request body
}

// add adds the operation of one route.
func (b *builder) add(rt Route) error {
	if rt.Desc == nil {
		return errors.New("no method descriptor")
	}
	md := rt.Desc
	tpl, err := parseTemplate(rt.Path)
	if err != nil {
		return err
	}
	op := &operation{
		Tags:        []string{b.tag(md.Parent().(protoreflect.ServiceDescriptor))},
		OperationID: b.operationID(md),
		Description: comment(md),
		Responses:   &object[*response]{},
	}
	op.Summary = summary(op.Description)
	if op.Summary == "" {
		op.Summary = fmt.Sprintf("%s.%s", md.Parent().Name(), md.Name())
	}
	if op.Summary == op.Description {
		op.Description = ""
	}
	if opts, ok := md.Options().(*descriptorpb.MethodOptions); ok && opts.GetDeprecated() {
		op.Deprecated = true
	}

	bound := map[string]bool{} // fields set from the path or the body
	for _, v := range tpl.vars {
		p, err := b.pathParam(md.Input(), v)
		if err != nil {
			return err
		}
		op.Parameters = append(op.Parameters, p)
		if v.field != "" {
			bound[v.field] = true
		}
	}
	switch rt.Body {
	case "":
	case "*":
		op.RequestBody = &requestBody{
			Description: "The request message as JSON. Path parameters are applied on top of it.",
			Content:     content("application/json", &mediaType{Schema: b.comps.message(md.Input())}),
		}
	default:
		fd := md.Input().Fields().ByName(protoreflect.Name(rt.Body))
		if fd == nil {
			return fmt.Errorf("body: %s has no field %q", md.Input().FullName(), rt.Body)
		}
		bound[rt.Body] = true
		op.RequestBody = &requestBody{
			Description: fmt.Sprintf("The request field `%s` as JSON.", rt.Body),
			Content:     content("application/json", &mediaType{Schema: b.comps.fieldSchema(fd)}),
		}
	}
	if rt.Body != "*" {
		// A route whose body is the whole request reads no query
		// parameter that sets a field.
		op.Parameters = append(op.Parameters, b.queryParams(md.Input(), "", nil, bound, map[protoreflect.FullName]bool{md.Input().FullName(): true})...)
	}
	op.Parameters = append(op.Parameters, b.gatewayParams(rt)...)

	if rt.Stream != nil {
		b.streams = true
		events, err := b.eventSchema(rt)
		if err != nil {
			return err
		}
		op.Responses.set("200", &response{
			Description: "The stream: one event per response message, then an \"end\" event, or an \"error\" event when the backend fails after the stream started. Comments (\": ping\") keep a quiet connection open; they are not events.",
			Content:     content("text/event-stream", &mediaType{ItemSchema: events}),
		})
	} else {
		s := b.comps.message(md.Output())
		desc := "The response message as JSON."
		if rt.ResponseBody != "" {
			fd := md.Output().Fields().ByName(protoreflect.Name(rt.ResponseBody))
			if fd == nil {
				return fmt.Errorf("response_body: %s has no field %q", md.Output().FullName(), rt.ResponseBody)
			}
			s, desc = b.comps.fieldSchema(fd), fmt.Sprintf("The response field `%s` as JSON.", rt.ResponseBody)
		}
		op.Responses.set("200", &response{Description: desc, Content: content("application/json", &mediaType{Schema: s})})
	}
	b.errorResponsesOf(op.Responses, op.RequestBody != nil)
	return b.place(b.samePath(tpl.path, op), rt.Method, op)
}

// templateExpression matches the parameters of an OpenAPI path.
var templateExpression = regexp.MustCompile(`\{[^{}]*\}`)

// samePath returns the path already in the document that differs from path
// only in the names of its parameters, renaming op's path parameters after
// it, or else path. OpenAPI holds such paths for one path, which cannot be
// written twice.
func (b *builder) samePath(path string, op *operation) string {
	shape := templateExpression.ReplaceAllString(path, "{}")
	first, ok := b.shapes[shape]
	if !ok {
		b.shapes[shape] = path
		return path
	}
	if first == path {
		return path
	}
	names := map[string]string{}
	var renames []string // for the forms in descriptions
	theirs := templateExpression.FindAllString(first, -1)
	for i, ours := range templateExpression.FindAllString(path, -1) {
		names[strings.Trim(ours, "{}")] = strings.Trim(theirs[i], "{}")
		renames = append(renames, ours, theirs[i])
	}
	forms := strings.NewReplacer(renames...)
	for _, p := range op.Parameters {
		if p.In == "path" {
			p.Name = names[p.Name]
			p.Description = forms.Replace(p.Description)
		}
	}
	return first
}

// place puts op on its path, refusing a second operation for one HTTP
// method and path.
func (b *builder) place(path, method string, op *operation) error {
	item, ok := b.doc.Paths.get(path)
	if !ok {
		item = &pathItem{}
		b.doc.Paths.set(path, item)
	}
	var slot **operation
	switch strings.ToUpper(method) {
	case http.MethodGet:
		slot = &item.Get
	case http.MethodPut:
		slot = &item.Put
	case http.MethodPost:
		slot = &item.Post
	case http.MethodDelete:
		slot = &item.Delete
	case http.MethodPatch:
		slot = &item.Patch
	case "":
		return errors.New("no HTTP method")
	default:
		if item.AdditionalOperations == nil {
			item.AdditionalOperations = &object[*operation]{}
		}
		if _, taken := item.AdditionalOperations.get(method); taken {
			return fmt.Errorf("two operations for %s %s", method, path)
		}
		item.AdditionalOperations.set(method, op)
		return nil
	}
	if *slot != nil {
		return fmt.Errorf("two operations for %s %s: %s and %s", method, path, (*slot).OperationID, op.OperationID)
	}
	*slot = op
	return nil
}

// tag returns the tag of a service, adding it to the document's tags.
func (b *builder) tag(sd protoreflect.ServiceDescriptor) string {
	name := string(sd.FullName())
	if !b.tags[name] {
		b.tags[name] = true
		desc := comment(sd)
		if desc == "" {
			desc = fmt.Sprintf("The methods of the gRPC service %s.", name)
		}
		b.doc.Tags = append(b.doc.Tags, tag{Name: name, Description: desc})
	}
	return name
}

// operationID returns a unique id for a route of md: "Service_Method" for
// its first route, then "Service_Method_2" and so on.
func (b *builder) operationID(md protoreflect.MethodDescriptor) string {
	base := fmt.Sprintf("%s_%s", md.Parent().Name(), md.Name())
	id := base
	for n := 2; b.operations[id]; n++ {
		id = fmt.Sprintf("%s_%d", base, n)
	}
	b.operations[id] = true
	return id
}
