package httprequest

import (
	"fmt"
	"strings"

	"google.golang.org/protobuf/reflect/protoreflect"
)

// pathVariable is a variable of a route's path template.
type pathVariable struct {
	name string // as in the template: "inner.color"
	path []protoreflect.FieldDescriptor
}

func newPathVariable(md protoreflect.MessageDescriptor, name string) (pathVariable, error) {
	path, err := resolveFieldPath(md, name)
	if err != nil {
		return pathVariable{}, err
	}
	fd := path[len(path)-1]
	if fd.IsMap() || !isText(fd) {
		return pathVariable{}, fmt.Errorf("field %s is a %s, which a path variable cannot hold", fd.FullName(), kindName(fd))
	}
	return pathVariable{name: name, path: path}, nil
}

// set parses value into the variable's field. A repeated field takes
// comma-separated values, as in grpc-gateway's generated code.
func (v pathVariable) set(m protoreflect.Message, value string) error {
	if err := checkPathValue(value); err != nil {
		return err
	}
	m = mutableParent(m, v.path)
	fd := v.path[len(v.path)-1]
	if fd.IsList() {
		m.Clear(fd)
		list := m.Mutable(fd).List()
		for part := range strings.SplitSeq(value, ",") {
			x, err := parseText(fd, part, func() protoreflect.Message { return list.NewElement().Message() }, pathRules)
			if err != nil {
				return fmt.Errorf("field %s: %w", fd.FullName(), err)
			}
			list.Append(x)
		}
		return nil
	}
	x, err := parseText(fd, value, func() protoreflect.Message { return m.NewField(fd).Message() }, pathRules)
	if err != nil {
		return fmt.Errorf("field %s: %w", fd.FullName(), err)
	}
	m.Set(fd, x)
	return nil
}

// checkPathValue refuses path variable values with "." or ".." segments,
// which a backend that maps names to paths could be led astray by.
func checkPathValue(v string) error {
	for seg := range strings.SplitSeq(v, "/") {
		if seg == "." || seg == ".." {
			return fmt.Errorf("segment %q is not allowed", seg)
		}
	}
	return nil
}
