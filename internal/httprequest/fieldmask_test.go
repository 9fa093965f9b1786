package httprequest_test

import (
	"testing"

	"github.com/ssegw/ssegw/internal/httprequest"
)

// TestMaskFromBody: with MaskFromBody, a request whose body sets fields
// and whose field mask is empty gets the paths of those fields (proto
// names, even of a json_name field; sorted; nested messages walked;
// repeated fields, maps and Any as leaves, Struct walked blindly), as
// grpc-gateway's PATCH handlers do; a mask given in the
// query wins, an empty body leaves the mask unset, and without the option
// nothing is filled.
func TestMaskFromBody(t *testing.T) {
	d := api(t)
	bind := httprequest.Binding{PathVariables: []string{"item.string_value"}, Body: "item", MaskFromBody: true}
	path := map[string]string{"item.string_value": "items/1"}
	b := newBuilder(t, d, "UpdateRequest", bind, httprequest.Options{RefuseUnknown: true})
	for _, tc := range []struct {
		name, query, body, want string
	}{
		{"fields of the body", "", `{"int64Value":"5","customName":"r","inner":{"name":"n","inner":{"count":"1"}},"repeatedInner":[{"name":"x"}],"mapString":{"k":"v"},"struct":{"a":{"b":1}},"any":{"@type":"type.googleapis.com/kitchensink.v1.BackendOnly","secret":"s"}}`,
			`{"item":{"stringValue":"items/1","int64Value":"5","customName":"r","inner":{"name":"n","inner":{"count":"1"}},"repeatedInner":[{"name":"x"}],"mapString":{"k":"v"},"struct":{"a":{"b":1}},"any":{"@type":"type.googleapis.com/kitchensink.v1.BackendOnly","secret":"s"}},` +
				`"updateMask":"any,inner.inner.count,inner.name,int64Value,mapString,renamed,repeatedInner,struct.a.b"}`},
		{"an empty object", "", `{}`, `{"item":{"stringValue":"items/1"},"updateMask":""}`},
		{"a mask in the query", "update_mask=color", `{"int64Value":"5"}`, `{"item":{"stringValue":"items/1","int64Value":"5"},"updateMask":"color"}`},
		{"an empty body", "", "", `{"item":{"stringValue":"items/1"}}`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := b.Build(httprequest.Request{PathValues: path, Query: query(t, tc.query), Body: []byte(tc.body)})
			if err != nil {
				t.Fatal(err)
			}
			checkEqual(t, d, parseJSON(t, d, "UpdateRequest", tc.want), got)
		})
	}

	bind.MaskFromBody = false
	plain := newBuilder(t, d, "UpdateRequest", bind, httprequest.Options{RefuseUnknown: true})
	got, err := plain.Build(httprequest.Request{PathValues: path, Body: []byte(`{"int64Value":"5"}`)})
	if err != nil {
		t.Fatal(err)
	}
	checkEqual(t, d, parseJSON(t, d, "UpdateRequest", `{"item":{"stringValue":"items/1","int64Value":"5"}}`), got)

	// A body of the whole request: no mask from it.
	star := newBuilder(t, d, "UpdateRequest", httprequest.Binding{Body: "*", MaskFromBody: true}, httprequest.Options{})
	got, err = star.Build(httprequest.Request{Body: []byte(`{"item":{"int64Value":"5"}}`)})
	if err != nil {
		t.Fatal(err)
	}
	checkEqual(t, d, parseJSON(t, d, "UpdateRequest", `{"item":{"int64Value":"5"}}`), got)
}
