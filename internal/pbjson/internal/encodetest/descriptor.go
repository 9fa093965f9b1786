package encodetest

import (
	"fmt"
	"slices"
	"strings"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protodesc"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/reflect/protoregistry"
	"google.golang.org/protobuf/types/descriptorpb"
	"google.golang.org/protobuf/types/dynamicpb"
)

// RandomFile builds a .proto file from src: proto2, proto3 or edition
// 2023, with up to three messages that refer to each other (and to
// themselves), an open and a closed enum, fields of every kind and
// cardinality, maps, oneofs, proto3 optional, groups and delimited
// fields, packed and expanded repeated fields, custom JSON names,
// well-known types and, in proto2, extensions. It returns nil when the
// choices make a file that protodesc refuses. imports resolves the
// well-known types.
func RandomFile(src *Source, imports protodesc.Resolver) protoreflect.FileDescriptor {
	b := &fileBuilder{src: src}
	fdp := b.file()
	fd, err := protodesc.NewFile(fdp, imports)
	if err != nil {
		return nil
	}
	return fd
}

// Types returns dynamic types for the messages and extensions of fd.
func Types(fd protoreflect.FileDescriptor) (*protoregistry.Types, error) {
	types := &protoregistry.Types{}
	var register func(msgs protoreflect.MessageDescriptors, exts protoreflect.ExtensionDescriptors) error
	register = func(msgs protoreflect.MessageDescriptors, exts protoreflect.ExtensionDescriptors) error {
		for i := range msgs.Len() {
			md := msgs.Get(i)
			if err := types.RegisterMessage(dynamicpb.NewMessageType(md)); err != nil {
				return err
			}
			if err := register(md.Messages(), md.Extensions()); err != nil {
				return err
			}
		}
		for i := range exts.Len() {
			if err := types.RegisterExtension(dynamicpb.NewExtensionType(exts.Get(i))); err != nil {
				return err
			}
		}
		return nil
	}
	return types, register(fd.Messages(), fd.Extensions())
}

// wellKnownImports are the well-known types a random file may use.
var wellKnownImports = map[string]string{
	".google.protobuf.Timestamp":   "google/protobuf/timestamp.proto",
	".google.protobuf.Duration":    "google/protobuf/duration.proto",
	".google.protobuf.Any":         "google/protobuf/any.proto",
	".google.protobuf.Struct":      "google/protobuf/struct.proto",
	".google.protobuf.Value":       "google/protobuf/struct.proto",
	".google.protobuf.ListValue":   "google/protobuf/struct.proto",
	".google.protobuf.FieldMask":   "google/protobuf/field_mask.proto",
	".google.protobuf.Int64Value":  "google/protobuf/wrappers.proto",
	".google.protobuf.BytesValue":  "google/protobuf/wrappers.proto",
	".google.protobuf.FloatValue":  "google/protobuf/wrappers.proto",
	".google.protobuf.StringValue": "google/protobuf/wrappers.proto",
	".google.protobuf.Empty":       "google/protobuf/empty.proto",
}

type fileBuilder struct {
	src     *Source
	syntax  string // "proto2", "proto3" or "editions"
	imports map[string]bool
	msgs    int
}

func (b *fileBuilder) file() *descriptorpb.FileDescriptorProto {
	b.syntax = []string{"proto2", "proto3", "editions"}[b.src.Intn(3)]
	b.imports = map[string]bool{}
	b.msgs = 1 + b.src.Intn(3)
	fdp := &descriptorpb.FileDescriptorProto{
		Name:    proto.String("random/r.proto"),
		Package: proto.String("random"),
	}
	switch b.syntax {
	case "proto3":
		fdp.Syntax = proto.String("proto3")
	case "editions":
		fdp.Syntax = proto.String("editions")
		fdp.Edition = descriptorpb.Edition_EDITION_2023.Enum()
	}
	fdp.EnumType = []*descriptorpb.EnumDescriptorProto{b.enum("Open", false), b.enum("Closed", true)}
	for i := range b.msgs {
		fdp.MessageType = append(fdp.MessageType, b.message(i))
	}
	if b.syntax == "proto2" && b.src.Intn(2) == 0 {
		for i, typ := range []descriptorpb.FieldDescriptorProto_Type{
			descriptorpb.FieldDescriptorProto_TYPE_STRING, descriptorpb.FieldDescriptorProto_TYPE_SINT64,
		} {
			fdp.Extension = append(fdp.Extension, &descriptorpb.FieldDescriptorProto{
				Name:     proto.String(fmt.Sprintf("ext%d", i)),
				Number:   proto.Int32(int32(100 + i)),
				Label:    []descriptorpb.FieldDescriptorProto_Label{descriptorpb.FieldDescriptorProto_LABEL_OPTIONAL, descriptorpb.FieldDescriptorProto_LABEL_REPEATED}[b.src.Intn(2)].Enum(),
				Type:     typ.Enum(),
				Extendee: proto.String(".random.M0"),
			})
		}
	}
	for path := range b.imports {
		fdp.Dependency = append(fdp.Dependency, path)
	}
	return fdp
}

// enum builds an enum; a closed one is closed in proto2 and editions only.
func (b *fileBuilder) enum(name string, closed bool) *descriptorpb.EnumDescriptorProto {
	ed := &descriptorpb.EnumDescriptorProto{Name: proto.String(name)}
	numbers := []int32{0, 1, 2, -1, 7}
	for i, n := range numbers[:2+b.src.Intn(3)] {
		ed.Value = append(ed.Value, &descriptorpb.EnumValueDescriptorProto{
			Name:   proto.String(fmt.Sprintf("%s_V%d", strings.ToUpper(name), i)),
			Number: proto.Int32(n),
		})
	}
	if b.src.Intn(4) == 0 {
		ed.Options = &descriptorpb.EnumOptions{AllowAlias: proto.Bool(true)}
		ed.Value = append(ed.Value, &descriptorpb.EnumValueDescriptorProto{
			Name: proto.String(strings.ToUpper(name) + "_ALIAS"), Number: proto.Int32(1),
		})
	}
	if closed && b.syntax == "editions" {
		if ed.Options == nil {
			ed.Options = &descriptorpb.EnumOptions{}
		}
		ed.Options.Features = &descriptorpb.FeatureSet{EnumType: descriptorpb.FeatureSet_CLOSED.Enum()}
	}
	return ed
}

// fieldTypes are the types a field may have; "msg" is one of the file's
// messages, "map" a map, "group" a group or delimited message.
var fieldTypes = []string{
	"double", "float", "int32", "int64", "uint32", "uint64", "sint32", "sint64",
	"fixed32", "fixed64", "sfixed32", "sfixed64", "bool", "string", "bytes",
	"open", "closed", "msg", "msg", "map", "map", "group", "wkt",
}

var scalarTypes = map[string]descriptorpb.FieldDescriptorProto_Type{
	"double": descriptorpb.FieldDescriptorProto_TYPE_DOUBLE, "float": descriptorpb.FieldDescriptorProto_TYPE_FLOAT,
	"int32": descriptorpb.FieldDescriptorProto_TYPE_INT32, "int64": descriptorpb.FieldDescriptorProto_TYPE_INT64,
	"uint32": descriptorpb.FieldDescriptorProto_TYPE_UINT32, "uint64": descriptorpb.FieldDescriptorProto_TYPE_UINT64,
	"sint32": descriptorpb.FieldDescriptorProto_TYPE_SINT32, "sint64": descriptorpb.FieldDescriptorProto_TYPE_SINT64,
	"fixed32": descriptorpb.FieldDescriptorProto_TYPE_FIXED32, "fixed64": descriptorpb.FieldDescriptorProto_TYPE_FIXED64,
	"sfixed32": descriptorpb.FieldDescriptorProto_TYPE_SFIXED32, "sfixed64": descriptorpb.FieldDescriptorProto_TYPE_SFIXED64,
	"bool": descriptorpb.FieldDescriptorProto_TYPE_BOOL, "string": descriptorpb.FieldDescriptorProto_TYPE_STRING,
	"bytes": descriptorpb.FieldDescriptorProto_TYPE_BYTES,
}

// fieldNumbers are the numbers fields take, small ones and a few large.
var fieldNumbers = []int32{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 15, 16, 17, 31, 200, 255, 256, 2047, 100000, 536870911}

func (b *fileBuilder) message(index int) *descriptorpb.DescriptorProto {
	name := fmt.Sprintf("M%d", index)
	dp := &descriptorpb.DescriptorProto{Name: proto.String(name)}
	if b.syntax == "proto2" && index == 0 {
		dp.ExtensionRange = []*descriptorpb.DescriptorProto_ExtensionRange{{Start: proto.Int32(100), End: proto.Int32(110)}}
	}
	used := map[int32]bool{}
	var oneof *int32
	for i := range 1 + b.src.Intn(8) {
		num := fieldNumbers[b.src.Intn(len(fieldNumbers))]
		if used[num] || (num >= 100 && num < 110 && len(dp.ExtensionRange) > 0) {
			continue
		}
		used[num] = true
		fname := fmt.Sprintf("f%d_x", i)
		if b.src.Intn(3) == 0 {
			fname = fmt.Sprintf("field_%d_name", i)
		}
		f := &descriptorpb.FieldDescriptorProto{
			Name:   proto.String(fname),
			Number: proto.Int32(num),
			Label:  descriptorpb.FieldDescriptorProto_LABEL_OPTIONAL.Enum(),
		}
		if b.src.Intn(8) == 0 {
			f.JsonName = proto.String(fmt.Sprintf("custom%dName", i))
		}
		typ := fieldTypes[b.src.Intn(len(fieldTypes))]
		b.setType(dp, f, typ)
		switch {
		case typ == "map":
		case typ == "group" && b.syntax == "proto3":
		case b.src.Intn(4) == 0:
			f.Label = descriptorpb.FieldDescriptorProto_LABEL_REPEATED.Enum()
			b.packing(f)
		case b.src.Intn(5) == 0 && typ != "group":
			// A oneof member, or a proto3 optional field.
			if b.syntax == "proto3" && b.src.Intn(2) == 0 {
				f.Proto3Optional = proto.Bool(true)
				dp.OneofDecl = append(dp.OneofDecl, &descriptorpb.OneofDescriptorProto{Name: proto.String("_" + fname)})
				f.OneofIndex = proto.Int32(int32(len(dp.OneofDecl) - 1))
				break
			}
			if oneof == nil {
				dp.OneofDecl = append(dp.OneofDecl, &descriptorpb.OneofDescriptorProto{Name: proto.String("choice")})
				oneof = proto.Int32(int32(len(dp.OneofDecl) - 1))
			}
			f.OneofIndex = oneof
		default:
			b.presence(f, typ)
		}
		dp.Field = append(dp.Field, f)
	}
	// Synthetic oneofs must come after the real ones.
	var real, synthetic []*descriptorpb.OneofDescriptorProto
	remap := map[int32]int32{}
	for i, od := range dp.OneofDecl {
		if strings.HasPrefix(od.GetName(), "_") {
			continue
		}
		remap[int32(i)] = int32(len(real))
		real = append(real, od)
	}
	for i, od := range dp.OneofDecl {
		if strings.HasPrefix(od.GetName(), "_") {
			remap[int32(i)] = int32(len(real) + len(synthetic))
			synthetic = append(synthetic, od)
		}
	}
	dp.OneofDecl = append(real, synthetic...)
	for _, f := range dp.Field {
		if f.OneofIndex != nil {
			f.OneofIndex = proto.Int32(remap[f.GetOneofIndex()])
		}
	}
	return dp
}

// setType gives f the type typ, adding the nested types it needs to dp.
func (b *fileBuilder) setType(dp *descriptorpb.DescriptorProto, f *descriptorpb.FieldDescriptorProto, typ string) {
	switch typ {
	case "open", "closed":
		f.Type = descriptorpb.FieldDescriptorProto_TYPE_ENUM.Enum()
		f.TypeName = proto.String(".random.Open")
		if typ == "closed" && b.syntax != "proto3" {
			f.TypeName = proto.String(".random.Closed")
		}
	case "msg":
		f.Type = descriptorpb.FieldDescriptorProto_TYPE_MESSAGE.Enum()
		f.TypeName = proto.String(fmt.Sprintf(".random.M%d", b.src.Intn(b.msgs)))
	case "wkt":
		names := make([]string, 0, len(wellKnownImports))
		for name := range wellKnownImports {
			names = append(names, name)
		}
		slices.Sort(names)
		name := names[b.src.Intn(len(names))]
		b.imports[wellKnownImports[name]] = true
		f.Type = descriptorpb.FieldDescriptorProto_TYPE_MESSAGE.Enum()
		f.TypeName = proto.String(name)
	case "group":
		// A group in proto2, a delimited message in editions.
		gname := fmt.Sprintf("G%d", len(dp.NestedType))
		f.Name = proto.String(strings.ToLower(gname))
		dp.NestedType = append(dp.NestedType, &descriptorpb.DescriptorProto{
			Name: proto.String(gname),
			Field: []*descriptorpb.FieldDescriptorProto{
				{Name: proto.String("a"), Number: proto.Int32(1), Label: descriptorpb.FieldDescriptorProto_LABEL_OPTIONAL.Enum(), Type: descriptorpb.FieldDescriptorProto_TYPE_INT32.Enum()},
				{Name: proto.String("b"), Number: proto.Int32(2), Label: descriptorpb.FieldDescriptorProto_LABEL_OPTIONAL.Enum(), Type: descriptorpb.FieldDescriptorProto_TYPE_STRING.Enum()},
			},
		})
		f.TypeName = proto.String(fmt.Sprintf(".random.%s.%s", dp.GetName(), gname))
		switch b.syntax {
		case "proto2":
			f.Type = descriptorpb.FieldDescriptorProto_TYPE_GROUP.Enum()
		case "editions":
			f.Type = descriptorpb.FieldDescriptorProto_TYPE_MESSAGE.Enum()
			f.Options = &descriptorpb.FieldOptions{Features: &descriptorpb.FeatureSet{MessageEncoding: descriptorpb.FeatureSet_DELIMITED.Enum()}}
		default:
			f.Type = descriptorpb.FieldDescriptorProto_TYPE_MESSAGE.Enum()
		}
	case "map":
		keys := []string{"int32", "int64", "uint32", "uint64", "sint32", "sint64", "fixed32", "fixed64", "sfixed32", "sfixed64", "bool", "string"}
		values := []string{"string", "int32", "double", "bytes", "open", "msg", "wkt", "bool", "sint64"}
		ename := fmt.Sprintf("E%dEntry", len(dp.NestedType))
		f.Name = proto.String(fmt.Sprintf("e%d", len(dp.NestedType)))
		f.JsonName = nil
		key := &descriptorpb.FieldDescriptorProto{Name: proto.String("key"), Number: proto.Int32(1), Label: descriptorpb.FieldDescriptorProto_LABEL_OPTIONAL.Enum()}
		b.setType(dp, key, keys[b.src.Intn(len(keys))])
		val := &descriptorpb.FieldDescriptorProto{Name: proto.String("value"), Number: proto.Int32(2), Label: descriptorpb.FieldDescriptorProto_LABEL_OPTIONAL.Enum()}
		b.setType(dp, val, values[b.src.Intn(len(values))])
		dp.NestedType = append(dp.NestedType, &descriptorpb.DescriptorProto{
			Name:    proto.String(ename),
			Field:   []*descriptorpb.FieldDescriptorProto{key, val},
			Options: &descriptorpb.MessageOptions{MapEntry: proto.Bool(true)},
		})
		f.Label = descriptorpb.FieldDescriptorProto_LABEL_REPEATED.Enum()
		f.Type = descriptorpb.FieldDescriptorProto_TYPE_MESSAGE.Enum()
		f.TypeName = proto.String(fmt.Sprintf(".random.%s.%s", dp.GetName(), ename))
	default:
		f.Type = scalarTypes[typ].Enum()
	}
}

// packing makes a repeated scalar packed or expanded, against its
// syntax's default now and then.
func (b *fileBuilder) packing(f *descriptorpb.FieldDescriptorProto) {
	if b.src.Intn(3) != 0 {
		return
	}
	switch b.syntax {
	case "proto2":
		f.Options = &descriptorpb.FieldOptions{Packed: proto.Bool(true)}
	case "proto3":
		f.Options = &descriptorpb.FieldOptions{Packed: proto.Bool(false)}
	default:
		f.Options = &descriptorpb.FieldOptions{Features: &descriptorpb.FeatureSet{RepeatedFieldEncoding: descriptorpb.FeatureSet_EXPANDED.Enum()}}
	}
}

// presence makes a singular field required, or (in editions) of implicit
// presence, or leaves it as its syntax makes it.
func (b *fileBuilder) presence(f *descriptorpb.FieldDescriptorProto, typ string) {
	switch r := b.src.Intn(6); {
	case r == 0 && b.syntax == "proto2":
		f.Label = descriptorpb.FieldDescriptorProto_LABEL_REQUIRED.Enum()
	case r == 0 && b.syntax == "editions":
		f.Options = &descriptorpb.FieldOptions{Features: &descriptorpb.FeatureSet{FieldPresence: descriptorpb.FeatureSet_LEGACY_REQUIRED.Enum()}}
	case r == 1 && b.syntax == "editions" && typ != "msg" && typ != "wkt" && typ != "group" && typ != "closed":
		f.Options = &descriptorpb.FieldOptions{Features: &descriptorpb.FeatureSet{FieldPresence: descriptorpb.FeatureSet_IMPLICIT.Enum()}}
	case r == 2 && b.syntax == "proto2" && typ != "msg" && typ != "wkt" && typ != "group":
		b.defaultValue(f, typ)
	}
}

// defaultValue gives a proto2 scalar a default.
func (b *fileBuilder) defaultValue(f *descriptorpb.FieldDescriptorProto, typ string) {
	defaults := map[string]string{
		"double": "inf", "float": "-1.5", "int32": "-7", "int64": "-9223372036854775808",
		"uint32": "4294967295", "uint64": "18446744073709551615", "sint32": "3", "sint64": "-3",
		"fixed32": "1", "fixed64": "2", "sfixed32": "-1", "sfixed64": "-2",
		"bool": "true", "string": "hé\\n", "bytes": "\\001\\377", "open": "OPEN_V1", "closed": "CLOSED_V1",
	}
	if d, ok := defaults[typ]; ok {
		f.DefaultValue = proto.String(d)
	}
}
