package gateway

import (
	"google.golang.org/protobuf/reflect/protoreflect"

	"github.com/ssegw/ssegw/internal/descriptors"
)

// typeResolver resolves the types of a backend's messages, Any values and
// extensions from its own files (see descriptors.Resolver).
type typeResolver = descriptors.Resolver

// messageType returns the Go type of md when the program links one built
// from this very descriptor, and a dynamic type otherwise.
func messageType(md protoreflect.MessageDescriptor) protoreflect.MessageType {
	return descriptors.MessageType(md)
}
