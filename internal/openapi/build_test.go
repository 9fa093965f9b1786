package openapi_test

import (
	"bytes"
	"encoding/json"
	"reflect"
	"slices"
	"strings"
	"testing"

	"google.golang.org/protobuf/encoding/protojson"

	"github.com/ssegw/ssegw/internal/kitchensink"
	"github.com/ssegw/ssegw/internal/openapi"
)

// kitchenSinkRoutes binds the kitchen-sink methods in every way a route
// can: path templates with dotted, multi-segment and ** variables, bodies
// of "*" and of a field, unary routes with a response body and a custom
// verb, a resumable stream with heartbeat events, and shaped streams.
func kitchenSinkRoutes(t testing.TB, d *kitchensink.Descriptors) []openapi.Route {
	echo, watch := method(t, d, "Echo"), method(t, d, "Watch")
	stream := &openapi.Stream{}
	return []openapi.Route{
		{Method: "GET", Path: "/v1/everything", Desc: echo, Stream: stream},
		{Method: "GET", Path: "/v1/{string_value=things/*}/echo", Desc: echo, Stream: stream},
		{Method: "GET", Path: "/v1/{string_value=tree/**}:deep", Desc: echo, Stream: stream},
		{Method: "GET", Path: "/v1/{string_value=shelves/*}", Desc: echo, Stream: stream},
		{Method: "GET", Path: "/v1/{string_value=shelves/*/books/*}", Desc: echo, Stream: stream},
		{Method: "POST", Path: "/v1/{string_value=shelves/*}/books", Body: "inner", Desc: echo, Stream: stream},
		{Method: "GET", Path: "/v1/everything/inner/{inner.name}/{inner.color}", Desc: echo, Stream: stream},
		{Method: "POST", Path: "/v1/everything/{string_value}:inner", Body: "inner", Desc: echo, Stream: stream},
		{Method: "POST", Path: "/v1/everything:echo", Body: "*", Desc: echo, Stream: stream},
		{Method: "GET", Path: "/v1/{name=counters/*}/watch", Desc: watch, Stream: &openapi.Stream{IDField: "seq", ResumeField: "after_seq", HeartbeatEvent: "beat"}},
		{Method: "POST", Path: "/v1/emit", Body: "*", Desc: method(t, d, "Emit"), Stream: &openapi.Stream{Shape: openapi.Shape{EventOneof: "choice"}}},
		{Method: "GET", Path: "/kitchensink.v1.KitchenSink/Plain", Desc: method(t, d, "Plain"),
			Stream: &openapi.Stream{Shape: openapi.Shape{EventField: "color", DataField: "inner", Sentinel: "[DONE]"}}},
		{Method: "GET", Path: "/v1/legacy/{id}", ResponseBody: "child", Desc: method(t, d, "EchoLegacy")},
		{Method: "LIST", Path: "/v1/legacy", Desc: method(t, d, "EchoLegacy")},
		{Method: "PATCH", Path: "/v1/modern/{name}", Body: "*", Desc: method(t, d, "EchoModern")},
		{Method: "DELETE", Path: "/v1/shelves/{name}", Desc: method(t, d, "EchoModern")},
	}
}

// expect checks the JSON value at a pointer of doc.
func expect(t *testing.T, doc any, pointer, want string) {
	t.Helper()
	var w any
	if err := json.Unmarshal([]byte(want), &w); err != nil {
		t.Fatalf("bad expectation %s: %v", want, err)
	}
	got, ok := lookup(doc, pointer)
	if !ok {
		t.Errorf("nothing at %s, want %s", pointer, want)
		return
	}
	if !reflect.DeepEqual(got, w) {
		g, _ := json.Marshal(got)
		t.Errorf("%s = %s, want %s", pointer, g, want)
	}
}

// titles returns the titles of the anyOf branches of a schema.
func titles(t *testing.T, doc any, pointer string) []string {
	t.Helper()
	var out []string
	for _, b := range at(t, doc, pointer+"/anyOf").([]any) {
		out = append(out, b.(map[string]any)["title"].(string))
	}
	return out
}

func TestDocumentOfEveryRouteForm(t *testing.T) {
	d := compileKitchenSink(t)
	raw, doc := build(t, kitchenSinkRoutes(t, d))
	again, _ := build(t, kitchenSinkRoutes(t, d))
	if !bytes.Equal(raw, again) {
		t.Error("two builds of the same routes differ")
	}

	expect(t, doc, "/openapi", `"3.2.0"`)
	expect(t, doc, "/servers", `[{"url":"/"}]`)
	expect(t, doc, "/tags/0/name", `"kitchensink.v1.KitchenSink"`)
	if desc := at(t, doc, "/tags/0/description").(string); !strings.HasPrefix(desc, "KitchenSink is the test backend's service.") {
		t.Errorf("tag description %q: the service's comment is missing", desc)
	}
	var paths []string
	for p := range at(t, doc, "/paths").(map[string]any) {
		paths = append(paths, p)
	}
	slices.Sort(paths)
	// Variables of several segments are written out, so that each route
	// has a path of its own and no parameter holds a "/".
	wantPaths := []string{"/kitchensink.v1.KitchenSink/Plain", "/v1/counters/{counter}/watch", "/v1/emit", "/v1/everything",
		"/v1/everything/inner/{inner.name}/{inner.color}", "/v1/everything/{string_value}:inner", "/v1/everything:echo", "/v1/legacy",
		"/v1/legacy/{id}", "/v1/modern/{name}", "/v1/shelves/{shelf}", "/v1/shelves/{shelf}/books", "/v1/shelves/{shelf}/books/{book}",
		"/v1/things/{thing}/echo", "/v1/tree/{string_value}:deep"}
	if !slices.Equal(paths, wantPaths) {
		t.Errorf("paths %q, want %q", paths, wantPaths)
	}

	everything := "/paths/" + ptr("/v1/everything") + "/get"
	expect(t, doc, everything+"/operationId", `"KitchenSink_Echo"`)
	expect(t, doc, everything+"/summary", `"Echo sends the request back."`)
	expect(t, doc, "/paths/"+ptr("/v1/things/{thing}/echo")+"/get/operationId", `"KitchenSink_Echo_2"`)

	t.Run("path parameters", func(t *testing.T) {
		things := param(t, doc, "/paths/"+ptr("/v1/things/{thing}/echo")+"/get", "thing", "path")
		expect(t, things, "/schema", `{"type":"string"}`)
		expect(t, things, "/required", `true`)
		if _, ok := things["allowReserved"]; ok {
			t.Error("a segment of a variable allows reserved characters")
		}
		if desc := things["description"].(string); !strings.Contains(desc, "`string_value`, which the path sets to `things/{thing}`") {
			t.Errorf("a segment of a variable described as %q", desc)
		}
		book := "/paths/" + ptr("/v1/shelves/{shelf}/books/{book}") + "/get"
		if p := params(t, doc, book, "path"); !slices.Equal(p, []string{"shelf", "book"}) {
			t.Errorf("path parameters of /v1/{string_value=shelves/*/books/*}: %q", p)
		}
		if desc := param(t, doc, book, "book", "path")["description"].(string); !strings.Contains(desc, "`shelves/{shelf}/books/{book}`") {
			t.Errorf("a segment of a variable described as %q", desc)
		}
		if q := params(t, doc, book, "query"); slices.Contains(q, "stringValue") || !slices.Contains(q, "int64Value") {
			t.Errorf("query parameters of a route with a variable of several segments: %q", q)
		}
		expect(t, doc, "/paths/"+ptr("/v1/shelves/{shelf}")+"/get/operationId", `"KitchenSink_Echo_4"`)
		expect(t, doc, "/paths/"+ptr("/v1/shelves/{shelf}/books")+"/post/operationId", `"KitchenSink_Echo_6"`)
		deep := param(t, doc, "/paths/"+ptr("/v1/tree/{string_value}:deep")+"/get", "string_value", "path")
		expect(t, deep, "/schema", `{"type":"string"}`)
		expect(t, deep, "/allowReserved", `true`)
		if desc := deep["description"].(string); !strings.HasPrefix(desc, "The rest of the request field `string_value`, which the path sets to `tree/{string_value}`.") ||
			!strings.Contains(desc, "unescaped") {
			t.Errorf("the rest of a path described as %q", desc)
		}
		// A path that differs from another only in its parameters' names is
		// the same path: the second route takes the first one's names.
		del := "/paths/" + ptr("/v1/shelves/{shelf}") + "/delete"
		expect(t, doc, del+"/operationId", `"KitchenSink_EchoModern_2"`)
		if desc := param(t, doc, del, "shelf", "path")["description"].(string); desc != "Sets the request field `name`." {
			t.Errorf("a renamed parameter described as %q", desc)
		}
		inner := "/paths/" + ptr("/v1/everything/inner/{inner.name}/{inner.color}") + "/get"
		expect(t, param(t, doc, inner, "inner.name", "path"), "/schema", `{"type":"string"}`)
		expect(t, param(t, doc, inner, "inner.color", "path"), "/schema", `{"$ref":"#/components/schemas/kitchensink.v1.Color"}`)
		if _, ok := param(t, doc, inner, "inner.color", "path")["allowReserved"]; ok {
			t.Error("a one-segment variable allows reserved characters")
		}
		q := params(t, doc, inner, "query")
		if slices.Contains(q, "inner.name") || slices.Contains(q, "inner.color") || !slices.Contains(q, "inner.colors") || !slices.Contains(q, "inner.count") {
			t.Errorf("query parameters of a route with inner.name and inner.color in its path: %q", q)
		}
	})

	t.Run("query parameters", func(t *testing.T) {
		q := params(t, doc, everything, "query")
		for _, name := range []string{"doubleValue", "int64Value", "uint64Value", "bytesValue", "color", "optionalInt32",
			"repeatedInt64", "repeatedColor", "inner.name", "inner.colors", "tree.label", "mapString", "mapBool", "mapValue",
			"choiceString", "choiceTime", "choiceInner.name", "timestamp", "duration", "fieldMask", "struct", "value", "int64Wrapper",
			"repeatedTimestamp", "repeatedInt64Wrapper", "customName", "field2NameX", "request"} {
			if !slices.Contains(q, name) {
				t.Errorf("no query parameter %s", name)
			}
		}
		// Repeated messages, maps of messages, messages without a text form
		// and the recursive child are left to the request parameter.
		for _, name := range []string{"repeatedInner", "mapInner", "any", "listValue", "empty", "choiceInner.inner.name", "child.int64Value",
			"tree.next.label", "tree.children", "tree.named", "renamed", "inner.inner.name", "lastEventID"} {
			if slices.Contains(q, name) {
				t.Errorf("query parameter %s should not be listed", name)
			}
		}
		if h := params(t, doc, everything, "header"); len(h) != 0 {
			t.Errorf("header parameters %q on a stream without ids", h)
		}
		expect(t, param(t, doc, everything, "int64Value", "query"), "/schema", `{"type":"string","format":"int64","pattern":"^-?(0|[1-9][0-9]*)$"}`)
		expect(t, param(t, doc, everything, "repeatedInt64", "query"), "/schema/type", `"array"`)
		expect(t, param(t, doc, everything, "mapInt32", "query"), "/style", `"deepObject"`)
		expect(t, param(t, doc, everything, "mapInt32", "query"), "/schema/propertyNames", `{"pattern":"^-?(0|[1-9][0-9]*)$"}`)
		expect(t, param(t, doc, everything, "int64Wrapper", "query"), "/schema/type", `"string"`)
		expect(t, param(t, doc, everything, "struct", "query"), "/schema/contentSchema", `{"$ref":"#/components/schemas/google.protobuf.Struct"}`)
		expect(t, param(t, doc, everything, "request", "query"), "/schema/contentSchema", `{"$ref":"#/components/schemas/kitchensink.v1.Everything"}`)
		if desc := param(t, doc, everything, "choiceString", "query")["description"].(string); !strings.Contains(desc, "oneof `choice`") {
			t.Errorf("oneof member described as %q", desc)
		}
	})

	t.Run("bodies", func(t *testing.T) {
		inner := "/paths/" + ptr("/v1/everything/{string_value}:inner") + "/post"
		expect(t, doc, inner+"/requestBody/content/application~1json/schema/$ref", `"#/components/schemas/kitchensink.v1.Inner"`)
		q := params(t, doc, inner, "query")
		if slices.Contains(q, "string_value") || slices.Contains(q, "stringValue") || slices.Contains(q, "inner.name") || !slices.Contains(q, "int64Value") {
			t.Errorf("query parameters of a route with a body field: %q", q)
		}
		whole := "/paths/" + ptr("/v1/everything:echo") + "/post"
		expect(t, doc, whole+"/requestBody/content/application~1json/schema", `{"$ref":"#/components/schemas/kitchensink.v1.Everything"}`)
		// The gateway refuses every query parameter of a route whose body
		// is the request, the request parameter too.
		if q := params(t, doc, whole, "query"); len(q) != 0 {
			t.Errorf("query parameters of a route whose body is the request: %q", q)
		}
		if q := params(t, doc, inner, "query"); !slices.Contains(q, "request") {
			t.Errorf("no request parameter on a route whose body is a field: %q", q)
		}
		expect(t, doc, whole+"/responses/413", `{"$ref":"#/components/responses/ContentTooLarge"}`)
		expect(t, doc, whole+"/responses/408", `{"$ref":"#/components/responses/RequestTimeout"}`)
		for _, status := range []string{"408", "413"} {
			if _, ok := lookup(doc, everything+"/responses/"+status); ok {
				t.Errorf("a GET route lists %s", status)
			}
		}
	})

	t.Run("unary", func(t *testing.T) {
		legacy := "/paths/" + ptr("/v1/legacy/{id}") + "/get/responses/200/content/application~1json/schema"
		expect(t, doc, legacy+"/$ref", `"#/components/schemas/kitchensink.v1.Legacy"`)
		expect(t, doc, "/paths/"+ptr("/v1/legacy")+"/additionalOperations/LIST/operationId", `"KitchenSink_EchoLegacy_2"`)
		modern := "/paths/" + ptr("/v1/modern/{name}") + "/patch"
		expect(t, doc, modern+"/requestBody/content/application~1json/schema", `{"$ref":"#/components/schemas/kitchensink.v1.Modern"}`)
		expect(t, doc, modern+"/responses/200/content/application~1json/schema", `{"$ref":"#/components/schemas/kitchensink.v1.Modern"}`)
		expect(t, doc, modern+"/responses/404", `{"$ref":"#/components/responses/NotFound"}`)
		expect(t, doc, modern+"/responses/default", `{"$ref":"#/components/responses/Error"}`)
	})

	t.Run("events", func(t *testing.T) {
		watch := "/paths/" + ptr("/v1/counters/{counter}/watch") + "/get"
		expect(t, doc, watch+"/responses/200/content/text~1event-stream/itemSchema", `{"$ref":"#/components/schemas/kitchensink.v1.KitchenSink.Watch.Event"}`)
		if h := params(t, doc, watch, "header"); !slices.Equal(h, []string{"Last-Event-ID"}) {
			t.Errorf("header parameters of a resumable stream: %q", h)
		}
		if desc := param(t, doc, watch, "Last-Event-ID", "header")["description"].(string); !strings.Contains(desc, "`after_seq`") {
			t.Errorf("Last-Event-ID described as %q", desc)
		}
		param(t, doc, watch, "lastEventID", "query")

		ev := "/components/schemas/kitchensink.v1.KitchenSink.Watch.Event"
		if got := titles(t, doc, ev); !slices.Equal(got, []string{"message", "heartbeat", "end", "error"}) {
			t.Errorf("Watch events %q", got)
		}
		expect(t, doc, ev+"/anyOf/0/properties/event", `false`)
		expect(t, doc, ev+"/anyOf/0/properties/data", `{"type":"string","contentMediaType":"application/json","contentSchema":{"$ref":"#/components/schemas/kitchensink.v1.Counted"}}`)
		expect(t, doc, ev+"/anyOf/0/required", `["data"]`)
		if desc := at(t, doc, ev+"/anyOf/0/properties/id/description").(string); !strings.Contains(desc, "`seq`") {
			t.Errorf("id described as %q", desc)
		}
		expect(t, doc, ev+"/anyOf/1/properties/event", `{"const":"beat"}`)
		expect(t, doc, ev+"/anyOf/1/properties/data", `{"type":"string","const":""}`)
		expect(t, doc, ev+"/anyOf/2/properties/event", `{"const":"end"}`)
		expect(t, doc, ev+"/anyOf/2/properties/data/contentSchema", `{"$ref":"#/components/schemas/ssegw.StreamEnd"}`)
		expect(t, doc, ev+"/anyOf/3/properties/data/contentSchema", `{"$ref":"#/components/schemas/ssegw.StreamError"}`)
		expect(t, doc, ev+"/anyOf/3/required", `["event","data"]`)
		expect(t, doc, ev+"/anyOf/0/additionalProperties", `false`)

		emit := "/components/schemas/kitchensink.v1.KitchenSink.Emit.Event"
		if got := titles(t, doc, emit); !slices.Equal(got, []string{"choice_string", "choice_int64", "choice_color", "choice_inner", "choice_empty", "choice_time", "message", "end", "error"}) {
			t.Errorf("Emit events shaped by a oneof: %q", got)
		}
		expect(t, doc, emit+"/anyOf/3/properties/data/contentSchema", `{"$ref":"#/components/schemas/kitchensink.v1.Inner"}`)
		expect(t, doc, emit+"/anyOf/1/properties/data/contentSchema", `{"type":"string","format":"int64","pattern":"^-?(0|[1-9][0-9]*)$"}`)
		expect(t, doc, emit+"/anyOf/6/properties/event", `false`)
		expect(t, doc, emit+"/anyOf/6/properties/data/contentSchema", `{"$ref":"#/components/schemas/kitchensink.v1.Everything"}`)

		plain := "/components/schemas/kitchensink.v1.KitchenSink.Plain.Event"
		if got := titles(t, doc, plain); !slices.Equal(got, []string{"COLOR_UNSPECIFIED", "RED", "GREEN", "BLUE", "unknown", "sentinel", "error"}) {
			t.Errorf("Plain events named by an enum field, ending with a sentinel: %q", got)
		}
		expect(t, doc, plain+"/anyOf/1/properties/event", `{"const":"RED"}`)
		expect(t, doc, plain+"/anyOf/1/properties/data/contentSchema/$ref", `"#/components/schemas/kitchensink.v1.Inner"`)
		expect(t, doc, plain+"/anyOf/4/properties/event", `{"type":"string","pattern":"^-?(0|[1-9][0-9]*)$"}`)
		expect(t, doc, plain+"/anyOf/5/properties", `{"event":false,"data":{"type":"string","const":"[DONE]"},"id":{"type":"string"},"retry":{"type":"integer","minimum":0,"description":"The reconnection delay, in milliseconds."}}`)
	})

	t.Run("errors", func(t *testing.T) {
		expect(t, doc, everything+"/responses/503", `{"$ref":"#/components/responses/Unavailable"}`)
		expect(t, doc, "/components/responses/Unavailable/headers/Retry-After/schema", `{"type":"integer","minimum":0}`)
		expect(t, doc, "/components/responses/NotFound/content/application~1json/schema", `{"$ref":"#/components/schemas/ssegw.Error"}`)
		expect(t, doc, "/components/schemas/ssegw.Error/required", `["code","message","details"]`)
		expect(t, doc, "/components/schemas/ssegw.StreamError/properties/trailers", `{"$ref":"#/components/schemas/ssegw.Metadata"}`)
	})
}

func TestSchemasFollowProtoJSON(t *testing.T) {
	d := compileKitchenSink(t)
	_, doc := build(t, kitchenSinkRoutes(t, d))
	s := "/components/schemas/"
	ev := s + "kitchensink.v1.Everything"
	for pointer, want := range map[string]string{
		ev + "/type":                                      `"object"`,
		ev + "/additionalProperties":                      `false`,
		ev + "/properties/int64Value":                     `{"type":"string","format":"int64","pattern":"^-?(0|[1-9][0-9]*)$"}`,
		ev + "/properties/uint64Value":                    `{"type":"string","pattern":"^(0|[1-9][0-9]*)$"}`,
		ev + "/properties/fixed64Value/pattern":           `"^(0|[1-9][0-9]*)$"`,
		ev + "/properties/int32Value":                     `{"type":"integer","format":"int32","minimum":-2147483648,"maximum":2147483647}`,
		ev + "/properties/uint32Value":                    `{"type":"integer","minimum":0,"maximum":4294967295}`,
		ev + "/properties/doubleValue":                    `{"description":"Singular scalars with implicit presence.","anyOf":[{"type":"number","format":"double"},{"type":"string","enum":["NaN","Infinity","-Infinity"]}]}`,
		ev + "/properties/floatValue/anyOf/0":             `{"type":"number","format":"float"}`,
		ev + "/properties/bytesValue":                     `{"type":"string","contentEncoding":"base64"}`,
		ev + "/properties/color":                          `{"$ref":"#/components/schemas/kitchensink.v1.Color"}`,
		ev + "/properties/optionalInt32/type":             `"integer"`,
		ev + "/properties/repeatedInner":                  `{"type":"array","items":{"$ref":"#/components/schemas/kitchensink.v1.Inner"}}`,
		ev + "/properties/mapBool":                        `{"type":"object","propertyNames":{"enum":["true","false"]},"additionalProperties":{"type":"string"}}`,
		ev + "/properties/mapUint64/propertyNames":        `{"pattern":"^(0|[1-9][0-9]*)$"}`,
		ev + "/properties/mapInner/additionalProperties":  `{"$ref":"#/components/schemas/kitchensink.v1.Inner"}`,
		ev + "/properties/int64Wrapper":                   `{"anyOf":[{"$ref":"#/components/schemas/google.protobuf.Int64Value"},{"type":"null"}]}`,
		ev + "/properties/customName":                     `{"type":"string","description":"A field whose JSON name is not the default."}`,
		ev + "/properties/field2NameX/type":               `"integer"`,
		ev + "/properties/timestamp/$ref":                 `"#/components/schemas/google.protobuf.Timestamp"`,
		s + "kitchensink.v1.Node/properties/next/$ref":    `"#/components/schemas/kitchensink.v1.Node"`,
		s + "google.protobuf.Int64Value/type":             `"string"`,
		s + "google.protobuf.Timestamp/format":            `"date-time"`,
		s + "google.protobuf.Duration/pattern":            `"^-?[0-9]+(\\.[0-9]{1,9})?s$"`,
		s + "google.protobuf.Struct/additionalProperties": `{"$ref":"#/components/schemas/google.protobuf.Value"}`,
		s + "google.protobuf.ListValue/items":             `{"$ref":"#/components/schemas/google.protobuf.Value"}`,
		s + "google.protobuf.Empty":                       `{"type":"object","description":"An empty object.","additionalProperties":false}`,
		s + "google.protobuf.Any/properties/@type/type":   `"string"`,
		s + "google.protobuf.Any/additionalProperties":    `true`,
		s + "kitchensink.v1.Color/anyOf/0":                `{"type":"string","enum":["COLOR_UNSPECIFIED","RED","GREEN","BLUE","CRIMSON"]}`,
		s + "kitchensink.v1.Color/anyOf/1/type":           `"integer"`,
		s + "kitchensink.v1.Kind/anyOf/0/enum":            `["KIND_ONE","KIND_TWO","KIND_THREE"]`,
		s + "kitchensink.v1.Strictness/anyOf/0/enum":      `["STRICTNESS_LAX","STRICTNESS_STRICT"]`,
		s + "kitchensink.v1.Legacy/required":              `["id"]`,
		s + "kitchensink.v1.Legacy/properties/item/$ref":  `"#/components/schemas/kitchensink.v1.Legacy.Item"`,
		s + "kitchensink.v1.Modern/required":              `["requiredId"]`,
	} {
		expect(t, doc, pointer, want)
	}
	if _, ok := lookup(doc, ev+"/properties/renamed"); ok {
		t.Error("a field with a json_name is also listed by its proto name")
	}
	if desc := at(t, doc, ev+"/description").(string); desc != "Everything has a field of every kind proto3 offers." {
		t.Errorf("message description %q", desc)
	}
	if desc := at(t, doc, s+"kitchensink.v1.Color/description").(string); !strings.Contains(desc, "- `CRIMSON`: CRIMSON is another name of RED.") {
		t.Errorf("enum description %q", desc)
	}
	if n := len(at(t, doc, ev+"/dependentSchemas").(map[string]any)); n != 6 {
		t.Errorf("%d oneof members constrain the others, want 6", n)
	}
	expect(t, doc, ev+"/dependentSchemas/choiceString/properties/choiceInt64", `false`)
	if _, ok := lookup(doc, ev+"/dependentSchemas/choiceString/properties/choiceString"); ok {
		t.Error("a oneof member forbids itself")
	}
	if _, ok := lookup(doc, s+"kitchensink.v1.Legacy/patternProperties"); !ok {
		t.Error("a message with extension ranges refuses extension fields")
	}
}

func TestMarshalOptionsChangeSchemas(t *testing.T) {
	d := compileKitchenSink(t)
	s := "/components/schemas/"
	everything := "/paths/" + ptr("/v1/everything") + "/get"

	_, doc := build(t, kitchenSinkRoutes(t, d), openapi.WithMarshalOptions(protojson.MarshalOptions{UseProtoNames: true}))
	expect(t, doc, s+"kitchensink.v1.Everything/properties/int64_value/type", `"string"`)
	expect(t, doc, s+"kitchensink.v1.Everything/properties/renamed/type", `"string"`)
	expect(t, doc, s+"kitchensink.v1.Legacy/properties/Item/$ref", `"#/components/schemas/kitchensink.v1.Legacy.Item"`)
	if q := params(t, doc, everything, "query"); !slices.Contains(q, "inner.colors") || !slices.Contains(q, "map_string") {
		t.Errorf("query parameters with proto names: %q", q)
	}

	_, doc = build(t, kitchenSinkRoutes(t, d), openapi.WithMarshalOptions(protojson.MarshalOptions{UseEnumNumbers: true}))
	expect(t, doc, s+"kitchensink.v1.Color/type", `"integer"`)
	expect(t, doc, s+"kitchensink.v1.Kind/type", `"integer"`)

	_, doc = build(t, kitchenSinkRoutes(t, d), openapi.WithMarshalOptions(protojson.MarshalOptions{EmitUnpopulated: true}))
	expect(t, doc, s+"kitchensink.v1.Everything/properties/inner/anyOf/1", `{"type":"null"}`)
	expect(t, doc, s+"kitchensink.v1.Modern/properties/name/anyOf/1", `{"type":"null"}`)
	expect(t, doc, s+"kitchensink.v1.Everything/properties/int64Value/type", `"string"`)
	expect(t, doc, s+"kitchensink.v1.Everything/properties/optionalInt32/type", `"integer"`)
	expect(t, doc, s+"kitchensink.v1.Everything/properties/choiceInner/$ref", `"#/components/schemas/kitchensink.v1.Inner"`)

	_, doc = build(t, kitchenSinkRoutes(t, d), openapi.WithRequestParam("req"), openapi.WithLastEventIDParam("after"), openapi.WithAccessTokenParam("access_token"))
	watch := "/paths/" + ptr("/v1/counters/{counter}/watch") + "/get"
	for _, name := range []string{"req", "after", "access_token"} {
		param(t, doc, watch, name, "query")
	}
}

func TestBuildRefuses(t *testing.T) {
	d := compileKitchenSink(t)
	echo := method(t, d, "Echo")
	stream := &openapi.Stream{}
	for _, tc := range []struct {
		name   string
		routes []openapi.Route
		want   string
	}{
		{"a path that is not absolute", []openapi.Route{{Method: "GET", Path: "v1/x", Desc: echo, Stream: stream}}, "does not start with /"},
		{"an unmatched brace", []openapi.Route{{Method: "GET", Path: "/v1/{string_value", Desc: echo, Stream: stream}}, "unmatched {"},
		{"an unknown path field", []openapi.Route{{Method: "GET", Path: "/v1/{nope}", Desc: echo, Stream: stream}}, `has no field "nope"`},
		{"a repeated path field", []openapi.Route{{Method: "GET", Path: "/v1/{repeated_string}", Desc: echo, Stream: stream}}, "cannot be set from a path"},
		{"an unknown body field", []openapi.Route{{Method: "POST", Path: "/v1/x", Body: "nope", Desc: echo, Stream: stream}}, `has no field "nope"`},
		{"an unknown response field", []openapi.Route{{Method: "GET", Path: "/v1/x", ResponseBody: "nope", Desc: echo}}, `has no field "nope"`},
		{"two operations on one path", []openapi.Route{{Method: "GET", Path: "/v1/{string_value}", Desc: echo, Stream: stream}, {Method: "GET", Path: "/v1/{string_value}", Desc: echo, Stream: stream}}, "two operations"},
		{"an unknown oneof", []openapi.Route{{Method: "GET", Path: "/v1/x", Desc: echo, Stream: &openapi.Stream{Shape: openapi.Shape{EventOneof: "nope"}}}}, `no oneof "nope"`},
		{"data with a oneof", []openapi.Route{{Method: "GET", Path: "/v1/x", Desc: echo, Stream: &openapi.Stream{Shape: openapi.Shape{EventOneof: "choice", DataField: "inner"}}}}, "cannot be used with an event oneof"},
		{"an event field of a message", []openapi.Route{{Method: "GET", Path: "/v1/x", Desc: echo, Stream: &openapi.Stream{Shape: openapi.Shape{EventField: "inner"}}}}, "neither a string nor an enum"},
		{"no descriptor", []openapi.Route{{Method: "GET", Path: "/v1/x"}}, "no method descriptor"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := openapi.Build(openapi.Info{}, tc.routes)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("Build: %v, want an error with %q", err, tc.want)
			}
		})
	}
}
