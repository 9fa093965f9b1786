package descriptors

import (
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/reflect/protoregistry"
	"google.golang.org/protobuf/types/dynamicpb"
)

// MessageType returns the Go type generated for md when the program links
// one built from this very descriptor, and a dynamic type otherwise (as for
// descriptors found by reflection, read from a descriptor set or compiled
// from .proto files).
func MessageType(md protoreflect.MessageDescriptor) protoreflect.MessageType {
	if mt, err := protoregistry.GlobalTypes.FindMessageByName(md.FullName()); err == nil && mt.Descriptor() == md {
		return mt
	}
	return dynamicpb.NewMessageType(md)
}

// extensionType returns the Go type generated for xd when the program links
// one built from this very descriptor, and a dynamic type otherwise.
func extensionType(xd protoreflect.ExtensionDescriptor) protoreflect.ExtensionType {
	if xt, err := protoregistry.GlobalTypes.FindExtensionByName(xd.FullName()); err == nil && xt.TypeDescriptor().Descriptor() == xd {
		return xt
	}
	return dynamicpb.NewExtensionType(xd)
}
