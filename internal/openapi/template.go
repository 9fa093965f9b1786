package openapi

import (
	"fmt"
	"regexp"
	"strings"
)

// template is a google.api.http path template turned into an OpenAPI path.
// An OpenAPI path parameter is one segment, with no "/" in its value, so a
// variable that binds several segments is written out segment by segment:
// "/v1/{name=shelves/*/books/*}" becomes "/v1/shelves/{shelf}/books/{book}",
// two parameters that together make the value of the field name,
// "shelves/{shelf}/books/{book}". Two such templates stay apart, as the
// routes they describe do.
type template struct {
	// path is the OpenAPI path.
	path string
	// vars are the path parameters, in the order of the path.
	vars []variable
}

// variable is one parameter of a path template.
type variable struct {
	// name is the OpenAPI parameter name: the variable's dotted field path
	// for a variable of one segment, "wildcardN" for a bare "*" or "**"
	// segment, which binds no field, and for a segment of a variable that
	// spans several the singular of the literal segment before it
	// ("shelves/*" gives "shelf") or the field's name.
	name string
	// field is the dotted field path that the parameter sets or is part
	// of; empty for a bare wildcard.
	field string
	// form is the field's value in terms of the parameters, such as
	// "shelves/{shelf}/books/{book}", when the variable spans several
	// segments; empty when the parameter is the whole value.
	form string
	// rest is true for "**": the rest of the path, one or more segments.
	rest bool
}

// part is a piece of a path template: literal text or a parameter.
type part struct {
	literal string
	v       *variable
	hint    string // the name of a parameter still unnamed
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
	var parts []part
	var spans [][2]int // the parts of each variable written out
	wildcards := 0
	rest := s
	for rest != "" {
		i := strings.IndexAny(rest, "{}")
		if i < 0 {
			i = len(rest)
		}
		// Bare wildcard segments become parameters of their own.
		for j, seg := range strings.Split(rest[:i], "/") {
			if j > 0 {
				parts = append(parts, part{literal: "/"})
			}
			if seg == "*" || seg == "**" {
				wildcards++
				parts = append(parts, part{v: &variable{name: fmt.Sprintf("wildcard%d", wildcards), rest: seg == "**"}})
			} else {
				parts = append(parts, part{literal: seg})
			}
		}
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
		switch segments {
		case "", "*", "**":
			parts = append(parts, part{v: &variable{name: field, field: field, rest: segments == "**"}})
		default:
			from := len(parts)
			prev := ""
			for j, seg := range strings.Split(segments, "/") {
				if j > 0 {
					parts = append(parts, part{literal: "/"})
				}
				switch seg {
				case "":
					return nil, fmt.Errorf("path template %q: empty segment in %q", s, rest[:end+1])
				case "*", "**":
					hint := singular(prev)
					if seg == "**" || hint == "" {
						hint = paramName(field[strings.LastIndexByte(field, '.')+1:])
					}
					parts = append(parts, part{v: &variable{field: field, rest: seg == "**"}, hint: hint})
				default:
					parts = append(parts, part{literal: seg})
				}
				prev = seg
			}
			spans = append(spans, [2]int{from, len(parts)})
		}
		rest = rest[end+1:]
	}

	// Name the parameters of the variables written out, apart from every
	// other parameter.
	taken := map[string]bool{}
	for _, p := range parts {
		if p.v != nil && p.v.name != "" {
			taken[p.v.name] = true
		}
	}
	for _, p := range parts {
		if p.v != nil && p.v.name == "" {
			name := p.hint
			for n := 2; taken[name]; n++ {
				name = fmt.Sprintf("%s_%d", p.hint, n)
			}
			taken[name] = true
			p.v.name = name
		}
	}
	for _, span := range spans {
		form := render(parts[span[0]:span[1]])
		for _, p := range parts[span[0]:span[1]] {
			if p.v != nil {
				p.v.form = form
			}
		}
	}
	t := &template{path: render(parts)}
	for _, p := range parts {
		if p.v != nil {
			t.vars = append(t.vars, *p.v)
		}
	}
	return t, nil
}

// render writes parts as an OpenAPI path template.
func render(parts []part) string {
	var b strings.Builder
	for _, p := range parts {
		if p.v != nil {
			b.WriteString("{" + p.v.name + "}")
		} else {
			b.WriteString(p.literal)
		}
	}
	return b.String()
}

// notNameChars are the characters left out of a parameter name made from
// a literal segment.
var notNameChars = regexp.MustCompile(`[^A-Za-z0-9_.-]+`)

// paramName makes a parameter name of s.
func paramName(s string) string {
	return notNameChars.ReplaceAllString(s, "_")
}

// singular returns the English singular of a literal segment such as
// "shelves" or "books", made a parameter name, or "" for a wildcard or an
// empty segment.
func singular(seg string) string {
	switch seg {
	case "", "*", "**":
		return ""
	}
	s := paramName(seg)
	lower := strings.ToLower(s)
	switch {
	case len(s) > 3 && strings.HasSuffix(lower, "ies"):
		return s[:len(s)-3] + "y"
	case strings.HasSuffix(lower, "sses"), strings.HasSuffix(lower, "xes"), strings.HasSuffix(lower, "ches"), strings.HasSuffix(lower, "shes"):
		return s[:len(s)-2]
	case strings.HasSuffix(lower, "lves"):
		return s[:len(s)-3] + "f"
	case len(s) > 1 && strings.HasSuffix(lower, "s") && !strings.HasSuffix(lower, "ss") && !strings.HasSuffix(lower, "us") && !strings.HasSuffix(lower, "is"):
		return s[:len(s)-1]
	}
	return s
}
