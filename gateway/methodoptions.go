package gateway

import (
	"google.golang.org/genproto/googleapis/api/annotations"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/reflect/protoregistry"
	"google.golang.org/protobuf/types/descriptorpb"

	ssegwv1 "github.com/ssegw/ssegw/gen/ssegw/v1"
)

// httpRuleOf returns the method's google.api.http rule, or nil.
func httpRuleOf(md protoreflect.MethodDescriptor) *annotations.HttpRule {
	rule, _ := methodExtension(md, annotations.E_Http).(*annotations.HttpRule)
	return rule
}

// streamOptionsOf returns the method's ssegw.v1.stream option with the
// fields of override (which may be nil) laid over it; override's share,
// when set, replaces the proto's as a whole (see WithSharing). The result
// is never nil.
func streamOptionsOf(md protoreflect.MethodDescriptor, override *ssegwv1.StreamOptions) *ssegwv1.StreamOptions {
	opts := &ssegwv1.StreamOptions{}
	if fromProto, ok := methodExtension(md, ssegwv1.E_Stream).(*ssegwv1.StreamOptions); ok && fromProto != nil {
		proto.Merge(opts, fromProto)
	}
	if override != nil {
		proto.Merge(opts, override)
		if override.Share != nil {
			opts.Share = proto.CloneOf(override.Share)
		}
	}
	return opts
}

// methodExtension reads an extension of a method's options. Options that
// were decoded before the extension's type was linked in hold it as unknown
// fields, and options built by a compiler (protocompile) may hold it as a
// dynamic message; both are decoded again with the types known now.
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
	if err := (proto.UnmarshalOptions{Resolver: protoregistry.GlobalTypes}).Unmarshal(raw, fresh); err != nil {
		return nil
	}
	if !proto.HasExtension(fresh, xt) {
		return nil
	}
	return proto.GetExtension(fresh, xt)
}
