package openapi

import (
	"fmt"
	"regexp"
	"strings"
)

// template is a google.api.http path template turned into an OpenAPI path:
// "/v1/{name=shelves/*}/books:search" becomes "/v1/{name}/books:search"
// with one variable, name, whose value must match "shelves/*".
type template struct {
	// path is the OpenAPI path, each variable written as "{field.path}".
	path string
	vars []variable
}

// variable is one variable of a path template.
type variable struct {
	// name is the OpenAPI parameter name: the variable's dotted field path,
	// or "wildcardN" for a bare "*" or "**" segment, which binds no field.
	name string
	// field is the dotted field path; empty for a bare wildcard.
	field string
	// segments is what the variable matches when it is more than one
	// segment, such as "shelves/*" or "**"; empty for a single segment.
	segments string
}

// pattern returns the regular expression of what v matches, or "" for a
// single segment.
func (v variable) pattern() string {
	if v.segments == "" {
		return ""
	}
	parts := strings.Split(v.segments, "/")
	for i, p := range parts {
		switch p {
		case "*":
			parts[i] = "[^/]+"
		case "**":
			parts[i] = ".+"
		default:
			parts[i] = regexp.QuoteMeta(p)
		}
	}
	return "^" + strings.Join(parts, "/") + "$"
}

// parseTemplate parses a path template:
//
//	Template = "/" Segments [ Verb ] ;
//	Segments = Segment { "/" Segment } ;
//	Segment  = "*" | "**" | LITERAL | Variable ;
//	Variable = "{" FieldPath [ "=" Segments ] "}" ;
//	Verb     = ":" LITERAL ;
func parseTemplate(s string) (*template, error) {
	if !strings.HasPrefix(s, "/") {
		return nil, fmt.Errorf("path template %q does not start with /", s)
	}
	t := &template{}
	var b strings.Builder
	wildcards := 0
	rest := s
	for rest != "" {
		i := strings.IndexAny(rest, "{}")
		if i < 0 {
			i = len(rest)
		}
		literal := rest[:i]
		// Bare wildcard segments become parameters of their own.
		segs := strings.Split(literal, "/")
		for j, seg := range segs {
			if seg == "*" || seg == "**" {
				wildcards++
				name := fmt.Sprintf("wildcard%d", wildcards)
				v := variable{name: name}
				if seg == "**" {
					v.segments = "**"
				}
				t.vars = append(t.vars, v)
				segs[j] = "{" + name + "}"
			}
		}
		b.WriteString(strings.Join(segs, "/"))
		rest = rest[i:]
		if rest == "" {
			break
		}
		if rest[0] == '}' {
			return nil, fmt.Errorf("path template %q: unmatched }", s)
		}
		end := strings.IndexByte(rest, '}')
		if end < 0 {
			return nil, fmt.Errorf("path template %q: unmatched {", s)
		}
		field, segments, _ := strings.Cut(rest[1:end], "=")
		field = strings.TrimSpace(field)
		if field == "" || strings.ContainsAny(field, "{/*") {
			return nil, fmt.Errorf("path template %q: bad variable %q", s, rest[:end+1])
		}
		if segments == "*" {
			segments = ""
		}
		t.vars = append(t.vars, variable{name: field, field: field, segments: segments})
		b.WriteString("{" + field + "}")
		rest = rest[end+1:]
	}
	t.path = b.String()
	return t, nil
}
