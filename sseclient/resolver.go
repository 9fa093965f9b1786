package sseclient

import (
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/reflect/protoregistry"
	"google.golang.org/protobuf/types/dynamicpb"
)

// typeResolver finds the message types of Any values, in event data and in
// error details.
type typeResolver interface {
	protoregistry.MessageTypeResolver
	protoregistry.ExtensionTypeResolver
}

// filesResolver resolves types from the files given with WithFiles, then
// from the global registry.
type filesResolver struct {
	local *protoregistry.Types
}

// newResolver returns the global registry when there are no files, and
// otherwise a resolver that prefers the types declared in files (and their
// imports).
func newResolver(files []protoreflect.FileDescriptor) typeResolver {
	if len(files) == 0 {
		return protoregistry.GlobalTypes
	}
	r := filesResolver{local: &protoregistry.Types{}}
	seen := map[string]bool{}
	var walk func(fd protoreflect.FileDescriptor)
	walk = func(fd protoreflect.FileDescriptor) {
		if seen[fd.Path()] {
			return
		}
		seen[fd.Path()] = true
		for i := range fd.Imports().Len() {
			walk(fd.Imports().Get(i).FileDescriptor)
		}
		r.register(fd.Messages(), fd.Extensions())
	}
	for _, fd := range files {
		walk(fd)
	}
	return r
}

func (r filesResolver) register(msgs protoreflect.MessageDescriptors, exts protoreflect.ExtensionDescriptors) {
	for i := range msgs.Len() {
		md := msgs.Get(i)
		if md.IsMapEntry() {
			continue
		}
		if _, err := r.local.FindMessageByName(md.FullName()); err != nil {
			_ = r.local.RegisterMessage(messageType(md))
		}
		r.register(md.Messages(), md.Extensions())
	}
	for i := range exts.Len() {
		xd := exts.Get(i)
		if _, err := r.local.FindExtensionByName(xd.FullName()); err == nil {
			continue
		}
		xt, err := protoregistry.GlobalTypes.FindExtensionByName(xd.FullName())
		if err != nil || xt.TypeDescriptor().Descriptor() != xd {
			xt = dynamicpb.NewExtensionType(xd)
		}
		_ = r.local.RegisterExtension(xt)
	}
}

// messageType returns the generated type of md when the program links one
// built from this very descriptor, and a dynamic type otherwise.
func messageType(md protoreflect.MessageDescriptor) protoreflect.MessageType {
	if mt, err := protoregistry.GlobalTypes.FindMessageByName(md.FullName()); err == nil && mt.Descriptor() == md {
		return mt
	}
	return dynamicpb.NewMessageType(md)
}

func (r filesResolver) FindMessageByName(name protoreflect.FullName) (protoreflect.MessageType, error) {
	if mt, err := r.local.FindMessageByName(name); err == nil {
		return mt, nil
	}
	return protoregistry.GlobalTypes.FindMessageByName(name)
}

func (r filesResolver) FindMessageByURL(url string) (protoreflect.MessageType, error) {
	if mt, err := r.local.FindMessageByURL(url); err == nil {
		return mt, nil
	}
	return protoregistry.GlobalTypes.FindMessageByURL(url)
}

func (r filesResolver) FindExtensionByName(name protoreflect.FullName) (protoreflect.ExtensionType, error) {
	if xt, err := r.local.FindExtensionByName(name); err == nil {
		return xt, nil
	}
	return protoregistry.GlobalTypes.FindExtensionByName(name)
}

func (r filesResolver) FindExtensionByNumber(message protoreflect.FullName, field protoreflect.FieldNumber) (protoreflect.ExtensionType, error) {
	if xt, err := r.local.FindExtensionByNumber(message, field); err == nil {
		return xt, nil
	}
	return protoregistry.GlobalTypes.FindExtensionByNumber(message, field)
}
