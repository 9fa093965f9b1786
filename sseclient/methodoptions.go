package sseclient

import (
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/reflect/protoregistry"
	"google.golang.org/protobuf/types/descriptorpb"
)

// methodExtension reads an extension of a method's options, or returns
// nil. Options that were decoded before the extension's type was linked in
// hold it as unknown fields, and options built by a compiler
// (protocompile) may hold it as a dynamic message; both are decoded again
// with the types known now.
func methodExtension(md protoreflect.MethodDescriptor, xt protoreflect.ExtensionType) any {
	opts, ok := md.Options().(*descriptorpb.MethodOptions)
	if !ok || opts == nil {
		return nil
	}
	var stored protoreflect.ExtensionType
	opts.ProtoReflect().Range(func(fd protoreflect.FieldDescriptor, _ protoreflect.Value) bool {
		if xd, ok := fd.(protoreflect.ExtensionTypeDescriptor); ok && fd.Number() == xt.TypeDescriptor().Number() {
			stored = xd.Type()
			return false
		}
		return true
	})
	if stored == xt {
		return proto.GetExtension(opts, xt)
	}
	if stored == nil && len(opts.ProtoReflect().GetUnknown()) == 0 {
		return nil
	}
	raw, err := proto.Marshal(opts)
	if err != nil {
		return nil
	}
	fresh := &descriptorpb.MethodOptions{}
	if (proto.UnmarshalOptions{Resolver: protoregistry.GlobalTypes}).Unmarshal(raw, fresh) != nil || !proto.HasExtension(fresh, xt) {
		return nil
	}
	return proto.GetExtension(fresh, xt)
}
