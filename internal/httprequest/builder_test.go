package httprequest_test

import (
	"strings"
	"testing"

	"github.com/ssegw/ssegw/internal/httprequest"
)

// TestBuildOrder: the request parameter, then the body, then path
// variables, then query parameters, each overriding what came before.
func TestBuildOrder(t *testing.T) {
	d := api(t)
	b := newBuilder(t, d, "Everything", httprequest.Binding{PathVariables: []string{"string_value"}, Body: "inner"},
		httprequest.Options{RequestParam: "request", RefuseUnknown: true})
	got, err := b.Build(httprequest.Request{
		PathValues: map[string]string{"string_value": "from-path"},
		Query: query(t, `request={"stringValue":"from-request","int32Value":1,"int64Value":"1","inner":{"name":"from-request","count":"9"}}`+
			`&int64_value=2&repeated_int32=1`),
		Body: []byte(`{"name":"from-body","color":"CRIMSON"}`),
	})
	if err != nil {
		t.Fatal(err)
	}
	// The body replaces the body field; the path and the query override
	// the request parameter's fields.
	checkEqual(t, d, parseJSON(t, d, "Everything",
		`{"stringValue":"from-path","int32Value":1,"int64Value":"2","repeatedInt32":[1],"inner":{"name":"from-body","color":"RED"}}`), got)
}

// TestBodyStar: the whole message from the body, with path variables over
// it; any query parameter but the reserved ones is refused, or ignored
// when unknown parameters are allowed.
func TestBodyStar(t *testing.T) {
	d := api(t)
	bind := httprequest.Binding{PathVariables: []string{"id"}, Body: "*"}
	opts := httprequest.Options{RequestParam: "request", Reserved: []string{"lastEventID", "access_token"}, RefuseUnknown: true}
	b := newBuilder(t, d, "Legacy", bind, opts)
	body := []byte(`{"id":"body","kind":"KIND_THREE","[kitchensink.v1.note]":"n","item":{"title":"t"}}`)
	got, err := b.Build(httprequest.Request{
		PathValues: map[string]string{"id": "path"},
		Query:      query(t, "lastEventID=3&access_token=x"),
		Body:       body,
	})
	if err != nil {
		t.Fatal(err)
	}
	checkEqual(t, d, parseJSON(t, d, "Legacy", `{"id":"path","kind":"KIND_THREE","[kitchensink.v1.note]":"n","item":{"title":"t"}}`), got)

	for _, tc := range []struct {
		query, param string
		source       httprequest.Source
		message      string
	}{
		{"bogus=1", "bogus", httprequest.Query, `body: "*"`},
		{"count=1&zzz=2", "count", httprequest.Query, `body: "*"`},
		{"request=%7B%7D", "request", httprequest.RequestParam, "send it there"},
	} {
		_, err := b.Build(httprequest.Request{PathValues: map[string]string{"id": "p"}, Query: query(t, tc.query), Body: body})
		checkError(t, err, tc.source, tc.param, tc.message)
	}
	opts.RefuseUnknown = false
	lenient := newBuilder(t, d, "Legacy", bind, opts)
	got, err = lenient.Build(httprequest.Request{PathValues: map[string]string{"id": "path"}, Query: query(t, "count=5&bogus=1"), Body: body})
	if err != nil {
		t.Fatal(err)
	}
	checkEqual(t, d, parseJSON(t, d, "Legacy", `{"id":"path","kind":"KIND_THREE","[kitchensink.v1.note]":"n","item":{"title":"t"}}`), got)
}

// TestBoundFields: a query parameter naming a field the path or the body
// binds, a field inside it or one containing it, is refused with what
// binds it, or ignored when unknown parameters are allowed.
func TestBoundFields(t *testing.T) {
	d := api(t)
	bind := httprequest.Binding{PathVariables: []string{"inner.name", "string_value"}, Body: "child"}
	path := map[string]string{"inner.name": "n", "string_value": "s"}
	strict := newBuilder(t, d, "Everything", bind, httprequest.Options{RefuseUnknown: true})
	for _, tc := range []struct{ query, message string }{
		{"string_value=x", "the path variable {string_value}"},
		{"stringValue=x", "the path variable {string_value}"},
		{"inner.name=x", "the path variable {inner.name}"},
		{"inner=x", "the path variable {inner.name}"},
		{"child.int32_value=1", `the request body (body: "child")`},
	} {
		_, err := strict.Build(httprequest.Request{PathValues: path, Query: query(t, tc.query)})
		param, _, _ := strings.Cut(tc.query, "=")
		checkError(t, err, httprequest.Query, param, tc.message)
	}
	got, err := strict.Build(httprequest.Request{PathValues: path, Query: query(t, "inner.color=BLUE")})
	if err != nil {
		t.Fatal(err)
	}
	checkEqual(t, d, parseJSON(t, d, "Everything", `{"stringValue":"s","inner":{"name":"n","color":"BLUE"}}`), got)

	lenient := newBuilder(t, d, "Everything", bind, httprequest.Options{})
	got, err = lenient.Build(httprequest.Request{PathValues: path, Query: query(t, "string_value=x&inner.name=y&child.int32_value=1&inner.color=2")})
	if err != nil {
		t.Fatal(err)
	}
	checkEqual(t, d, parseJSON(t, d, "Everything", `{"stringValue":"s","inner":{"name":"n","color":"GREEN"}}`), got)
}

// TestPathVariables: path variables follow grpc-gateway's generated code:
// Timestamp and Duration in the JSON mapping, repeated fields as
// comma-separated values, dot segments refused.
func TestPathVariables(t *testing.T) {
	d := api(t)
	for _, tc := range []struct {
		variable, value, want string
	}{
		{"color", "CRIMSON", `{"color":"RED"}`},
		{"color", "3", `{"color":"BLUE"}`},
		{"inner.color", "GREEN", `{"inner":{"color":"GREEN"}}`},
		{"timestamp", "2024-01-02T03:04:05.123Z", `{"timestamp":"2024-01-02T03:04:05.123Z"}`},
		{"timestamp", `"2024-01-02T03:04:05+01:00"`, `{"timestamp":"2024-01-02T02:04:05Z"}`},
		{"duration", "1.5s", `{"duration":"1.5s"}`},
		{"int64_wrapper", "-9223372036854775808", `{"int64Wrapper":"-9223372036854775808"}`},
		{"bytes_value", "_-8", `{"bytesValue":"/+8="}`},
		{"repeated_color", "RED,2", `{"repeatedColor":["RED","GREEN"]}`},
		{"repeated_string", "a,b", `{"repeatedString":["a","b"]}`},
		{"string_value", "things/a b", `{"stringValue":"things/a b"}`},
		{"float_value", "-Infinity", `{"floatValue":"-Infinity"}`},
	} {
		t.Run(tc.variable+"="+tc.value, func(t *testing.T) {
			b := newBuilder(t, d, "Everything", httprequest.Binding{PathVariables: []string{tc.variable}}, httprequest.Options{})
			got, err := b.Build(httprequest.Request{PathValues: map[string]string{tc.variable: tc.value}})
			if err != nil {
				t.Fatal(err)
			}
			checkEqual(t, d, parseJSON(t, d, "Everything", tc.want), got)
		})
	}
	for _, tc := range []struct{ variable, value, message string }{
		{"duration", "1m", "not a Duration in the JSON mapping"},
		{"timestamp", "2024-01-02", "not a Timestamp in the JSON mapping"},
		{"color", "PURPLE", "not a value of enum"},
		{"string_value", "things/..", `segment ".." is not allowed`},
		{"string_value", "./x", `segment "." is not allowed`},
		{"int32_value", "1.0", "not a valid int32"},
	} {
		b := newBuilder(t, d, "Everything", httprequest.Binding{PathVariables: []string{tc.variable}}, httprequest.Options{})
		_, err := b.Build(httprequest.Request{PathValues: map[string]string{tc.variable: tc.value}})
		checkError(t, err, httprequest.Path, tc.variable, tc.message)
	}
	b := newBuilder(t, d, "Everything", httprequest.Binding{PathVariables: []string{"color"}}, httprequest.Options{})
	_, err := b.Build(httprequest.Request{})
	checkError(t, err, httprequest.Path, "color", "missing")
}

// TestBindingsThatCannotWork are refused when the route is made.
func TestBindingsThatCannotWork(t *testing.T) {
	d := api(t)
	mt := messageType(t, d, "Everything")
	for _, b := range []httprequest.Binding{
		{PathVariables: []string{"nope"}},
		{PathVariables: []string{"inner"}},
		{PathVariables: []string{"map_string"}},
		{PathVariables: []string{"repeated_inner"}},
		{PathVariables: []string{"repeated_inner.name"}},
		{PathVariables: []string{"any"}},
		{Body: "nope"},
		{Body: "inner.nope"},
	} {
		if _, err := httprequest.New(mt, b, httprequest.Options{}); err == nil {
			t.Errorf("%+v accepted", b)
		}
	}
}

// TestBodyField: the body fills one field of any kind; a body that is not
// one JSON value cannot add fields of its own.
func TestBodyField(t *testing.T) {
	d := api(t)
	for _, tc := range []struct{ field, body, want string }{
		{"inner", `{"name":"a","colors":["BLUE",1]}`, `{"inner":{"name":"a","colors":["BLUE","RED"]}}`},
		{"inner.inner", `{"count":"3"}`, `{"inner":{"inner":{"count":"3"}}}`},
		{"string_value", `"s"`, `{"stringValue":"s"}`},
		{"repeated_color", `["GREEN",3]`, `{"repeatedColor":["GREEN","BLUE"]}`},
		{"map_int64", `{"-1":"x"}`, `{"mapInt64":{"-1":"x"}}`},
		{"timestamp", `"1970-01-01T00:00:00Z"`, `{"timestamp":"1970-01-01T00:00:00Z"}`},
		{"any", `{"@type":"type.googleapis.com/kitchensink.v1.BackendOnly","secret":"s"}`, `{"any":{"@type":"type.googleapis.com/kitchensink.v1.BackendOnly","secret":"s"}}`},
	} {
		b := newBuilder(t, d, "Everything", httprequest.Binding{Body: tc.field}, httprequest.Options{})
		got, err := b.Build(httprequest.Request{Body: []byte(tc.body)})
		if err != nil {
			t.Fatalf("%s: %v", tc.field, err)
		}
		checkEqual(t, d, parseJSON(t, d, "Everything", tc.want), got)
	}
	b := newBuilder(t, d, "Everything", httprequest.Binding{Body: "string_value"}, httprequest.Options{})
	for _, body := range []string{`"a","int32Value":1`, `"a"}`, `{`, `"a" "b"`} {
		_, err := b.Build(httprequest.Request{Body: []byte(body)})
		checkError(t, err, httprequest.Body, "", "request body")
	}
	b = newBuilder(t, d, "Everything", httprequest.Binding{Body: "inner"}, httprequest.Options{})
	_, err := b.Build(httprequest.Request{Body: []byte(`{"nope":1}`)})
	checkError(t, err, httprequest.Body, "", "nope")
}

// TestClosedAndOpenEnums: an unknown number is accepted for an open enum
// and refused for a closed one (proto2, and editions' CLOSED).
func TestClosedAndOpenEnums(t *testing.T) {
	d := api(t)
	legacy := newBuilder(t, d, "Legacy", httprequest.Binding{}, httprequest.Options{RefuseUnknown: true})
	got, err := legacy.Build(httprequest.Request{Query: query(t, "kind=2&kinds=KIND_ONE&kinds=3&Item.title=t&item.rank=2")})
	if err != nil {
		t.Fatal(err)
	}
	checkEqual(t, d, parseJSON(t, d, "Legacy", `{"kind":"KIND_TWO","kinds":["KIND_ONE","KIND_THREE"],"item":{"title":"t","rank":2}}`), got)
	_, err = legacy.Build(httprequest.Request{Query: query(t, "kind=9")})
	checkError(t, err, httprequest.Query, "kind", "9 is not a value of closed enum kitchensink.v1.Kind")

	modern := newBuilder(t, d, "Modern", httprequest.Binding{}, httprequest.Options{RefuseUnknown: true})
	got, err = modern.Build(httprequest.Request{Query: query(t, "level=9&strictness=STRICTNESS_LAX&levels[a]=7&parts=x")})
	if err == nil {
		t.Fatalf("repeated message parts accepted: %v", got)
	}
	got, err = modern.Build(httprequest.Request{Query: query(t, "level=9&strictness=STRICTNESS_LAX&levels[a]=7&part.level=LEVEL_HIGH")})
	if err != nil {
		t.Fatal(err)
	}
	checkEqual(t, d, parseJSON(t, d, "Modern", `{"level":9,"strictness":"STRICTNESS_LAX","levels":{"a":7},"part":{"level":"LEVEL_HIGH"}}`), got)
	_, err = modern.Build(httprequest.Request{Query: query(t, "strictness=3")})
	checkError(t, err, httprequest.Query, "strictness", "closed enum kitchensink.v1.Strictness")
}

// TestRequestParam: the whole request as JSON, with the backend's types
// for Any and extensions, bounded, once.
func TestRequestParam(t *testing.T) {
	d := api(t)
	b := newBuilder(t, d, "Legacy", httprequest.Binding{}, httprequest.Options{RequestParam: "request", MaxRequestParamBytes: 200})
	const text = `{"id":"x","[kitchensink.v1.marks]":[1,2],"scores":{"a":1}}`
	got, err := b.Build(httprequest.Request{Query: query(t, "request="+escape(text))})
	if err != nil {
		t.Fatal(err)
	}
	checkEqual(t, d, parseJSON(t, d, "Legacy", text), got)
	for _, tc := range []struct{ query, message string }{
		{"request=%7B%7D&request=%7B%7D", "given 2 times"},
		{"request=" + escape(`{"label":"`+string(make([]byte, 200))+`"}`), "larger than 200 bytes"},
		{"request=" + escape(`{"nope":1}`), "nope"},
		{"request=%7B", "unexpected EOF"},
	} {
		_, err := b.Build(httprequest.Request{Query: query(t, tc.query)})
		checkError(t, err, httprequest.RequestParam, "request", tc.message)
	}
}

// TestScalarPath sets and reads the scalar fields a resume cursor can be.
func TestScalarPath(t *testing.T) {
	d := api(t)
	md := messageType(t, d, "Everything").Descriptor()
	for _, tc := range []struct{ path, text, want string }{
		{"int64_value", "-9223372036854775808", "-9223372036854775808"},
		{"inner.count", "42", "42"},
		{"inner.color", "BLUE", "3"},
		{"string_value", "cursor/7", "cursor/7"},
		{"double_value", "NaN", "NaN"},
		{"bool_value", "true", "true"},
	} {
		p, err := httprequest.ResolveScalarPath(md, tc.path)
		if err != nil {
			t.Fatal(err)
		}
		m := messageType(t, d, "Everything").New()
		if err := p.Set(m, tc.text); err != nil {
			t.Fatalf("%s: %v", tc.path, err)
		}
		if got, ok := p.AppendText(nil, m); !ok || string(got) != tc.want || p.String() != tc.path {
			t.Errorf("%s: %q, %v, %s; want %q", tc.path, got, ok, p, tc.want)
		}
	}
	p, _ := httprequest.ResolveScalarPath(md, "inner.count")
	if _, ok := p.AppendText(nil, messageType(t, d, "Everything").New()); ok {
		t.Error("text of a path through an unset message")
	}
	if err := p.Set(messageType(t, d, "Everything").New(), "x"); err == nil {
		t.Error("Set accepted x for an int64")
	}
	for _, bad := range []string{"inner", "repeated_int32", "map_string", "nope", "int32_value.x", "repeated_inner.name"} {
		if _, err := httprequest.ResolveScalarPath(md, bad); err == nil {
			t.Errorf("%s resolved", bad)
		}
	}
}
