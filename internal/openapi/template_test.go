package openapi

import (
	"reflect"
	"testing"
)

func TestParseTemplate(t *testing.T) {
	for _, tc := range []struct {
		in, path string
		vars     []variable
	}{
		{"/v1/things", "/v1/things", nil},
		{"/v1/{name}", "/v1/{name}", []variable{{name: "name", field: "name"}}},
		{"/v1/{name=*}:watch", "/v1/{name}:watch", []variable{{name: "name", field: "name"}}},
		{"/v1/{name=**}", "/v1/{name}", []variable{{name: "name", field: "name", rest: true}}},
		// A variable of several segments is written out, segment by
		// segment, so that no parameter holds a "/".
		{"/v1/{name=shelves/*}", "/v1/shelves/{shelf}", []variable{{name: "shelf", field: "name", form: "shelves/{shelf}"}}},
		{"/v1/{name=shelves/*/books/*}", "/v1/shelves/{shelf}/books/{book}", []variable{
			{name: "shelf", field: "name", form: "shelves/{shelf}/books/{book}"},
			{name: "book", field: "name", form: "shelves/{shelf}/books/{book}"},
		}},
		{"/v1/{book.name=publishers/*/libraries/*/boxes/*}:read", "/v1/publishers/{publisher}/libraries/{library}/boxes/{box}:read", []variable{
			{name: "publisher", field: "book.name", form: "publishers/{publisher}/libraries/{library}/boxes/{box}"},
			{name: "library", field: "book.name", form: "publishers/{publisher}/libraries/{library}/boxes/{box}"},
			{name: "box", field: "book.name", form: "publishers/{publisher}/libraries/{library}/boxes/{box}"},
		}},
		{"/v1/{path=files/**}:download", "/v1/files/{path}:download", []variable{{name: "path", field: "path", form: "files/{path}", rest: true}}},
		{"/v1/{name=*/config}", "/v1/{name}/config", []variable{{name: "name", field: "name", form: "{name}/config"}}},
		// Names never repeat: not the names of other variables, nor each other.
		{"/v1/{parent=shelves/*}/books/{shelf}", "/v1/shelves/{shelf_2}/books/{shelf}", []variable{
			{name: "shelf_2", field: "parent", form: "shelves/{shelf_2}"},
			{name: "shelf", field: "shelf"},
		}},
		{"/v1/{a=x/*}/{b=x/*}", "/v1/x/{x}/x/{x_2}", []variable{{name: "x", field: "a", form: "x/{x}"}, {name: "x_2", field: "b", form: "x/{x_2}"}}},
		{"/v1/{name=a.b/*}", "/v1/a.b/{a.b}", []variable{{name: "a.b", field: "name", form: "a.b/{a.b}"}}},
		{"/v1/{name=status/*/v 1/*}", "/v1/status/{status}/v 1/{v_1}", []variable{
			{name: "status", field: "name", form: "status/{status}/v 1/{v_1}"},
			{name: "v_1", field: "name", form: "status/{status}/v 1/{v_1}"},
		}},
		{"/v1/{a.b}/{ c }", "/v1/{a.b}/{c}", []variable{{name: "a.b", field: "a.b"}, {name: "c", field: "c"}}},
		{"/v1/*/x/**", "/v1/{wildcard1}/x/{wildcard2}", []variable{{name: "wildcard1"}, {name: "wildcard2", rest: true}}},
	} {
		got, err := parseTemplate(tc.in)
		if err != nil {
			t.Errorf("%s: %v", tc.in, err)
			continue
		}
		if got.path != tc.path || !reflect.DeepEqual(got.vars, tc.vars) {
			t.Errorf("%s: %q %+v, want %q %+v", tc.in, got.path, got.vars, tc.path, tc.vars)
		}
	}
	for _, bad := range []string{"v1", "/v1/{", "/v1/}", "/v1/{}", "/v1/{a/b}", "/v1/{a=x//*}"} {
		if _, err := parseTemplate(bad); err == nil {
			t.Errorf("%q parsed", bad)
		}
	}
}

func TestSingular(t *testing.T) {
	for in, want := range map[string]string{
		"shelves": "shelf", "books": "book", "libraries": "library", "boxes": "box", "addresses": "address",
		"branches": "branch", "status": "status", "config": "config", "Users": "User", "analysis": "analysis", "s": "s",
	} {
		if got := singular(in); got != want {
			t.Errorf("singular(%q) = %q, want %q", in, got, want)
		}
	}
}
