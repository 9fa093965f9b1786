package gateway

import (
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/reflect/protoregistry"
	"google.golang.org/protobuf/types/dynamicpb"
)

// messageType returns the Go type generated for md when the program links
// one built from this very descriptor, and a dynamic type otherwise (as for
// descriptors found by reflection or read from a descriptor set).
func messageType(md protoreflect.MessageDescriptor) protoreflect.MessageType {
	if mt, err := protoregistry.GlobalTypes.FindMessageByName(md.FullName()); err == nil && mt.Descriptor() == md {
		return mt
	}
	return dynamicpb.NewMessageType(md)
}

func dynamicExtensionType(xd protoreflect.ExtensionDescriptor) protoreflect.ExtensionType {
	return dynamicpb.NewExtensionType(xd)
}
