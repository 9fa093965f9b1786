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
// fields of override (which may be nil) laid over it. The result is never
// nil.
func streamOptionsOf(md protoreflect.MethodDescriptor, override *ssegwv1.StreamOptions) *ssegwv1.StreamOptions {
	opts := &ssegwv1.StreamOptions{}
	if fromProto, ok := methodExtension(md, ssegwv1.E_Stream).(*ssegwv1.StreamOptions); ok && fromProto != nil {
		proto.Merge(opts, fromProto)
	}
	if override != nil {
		proto.Merge(opts, override)
	}
	return opts
}

// methodExtension reads an extension of a method's options. Options may
// hold it as unknown fields (decoded before the extension's type was
// linked in) or as a message of another Go type (options compiled from
// .proto sources, whose google/api/annotations.proto is not the linked
// one); they are decoded again with the linked types.
func methodExtension(md protoreflect.MethodDescriptor, xt protoreflect.ExtensionType) any {
	opts, ok := md.Options().(*descriptorpb.MethodOptions)
	if !ok || opts == nil {
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
