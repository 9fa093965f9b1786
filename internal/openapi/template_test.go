package openapi

import (
	"reflect"
	"testing"
)

func TestParseTemplate(t *testing.T) {
	for _, tc := range []struct {
		in, path string
		vars     []variable
		patterns []string
	}{
		{"/v1/things", "/v1/things", nil, nil},
		{"/v1/{name}", "/v1/{name}", []variable{{name: "name", field: "name"}}, []string{""}},
		{"/v1/{name=*}:watch", "/v1/{name}:watch", []variable{{name: "name", field: "name"}}, []string{""}},
		{"/v1/{name=shelves/*/books/*}", "/v1/{name}", []variable{{name: "name", field: "name", segments: "shelves/*/books/*"}}, []string{"^shelves/[^/]+/books/[^/]+$"}},
		{"/v1/{path=files/**}:download", "/v1/{path}:download", []variable{{name: "path", field: "path", segments: "files/**"}}, []string{"^files/.+$"}},
		{"/v1/{a.b}/{ c }", "/v1/{a.b}/{c}", []variable{{name: "a.b", field: "a.b"}, {name: "c", field: "c"}}, []string{"", ""}},
		{"/v1/*/x/**", "/v1/{wildcard1}/x/{wildcard2}", []variable{{name: "wildcard1"}, {name: "wildcard2", segments: "**"}}, []string{"", "^.+$"}},
		{"/v1/{name=a.b/*}", "/v1/{name}", []variable{{name: "name", field: "name", segments: "a.b/*"}}, []string{`^a\.b/[^/]+$`}},
	} {
		got, err := parseTemplate(tc.in)
		if err != nil {
			t.Errorf("%s: %v", tc.in, err)
			continue
		}
		if got.path != tc.path || !reflect.DeepEqual(got.vars, tc.vars) {
			t.Errorf("%s: %q %+v, want %q %+v", tc.in, got.path, got.vars, tc.path, tc.vars)
		}
		for i, v := range got.vars {
			if i < len(tc.patterns) && v.pattern() != tc.patterns[i] {
				t.Errorf("%s: variable %s matches %q, want %q", tc.in, v.name, v.pattern(), tc.patterns[i])
			}
		}
	}
	for _, bad := range []string{"v1", "/v1/{", "/v1/}", "/v1/{}", "/v1/{a/b}"} {
		if _, err := parseTemplate(bad); err == nil {
			t.Errorf("%q parsed", bad)
		}
	}
}
