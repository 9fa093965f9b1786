package descriptors

import (
	"fmt"
	"strings"

	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/reflect/protoregistry"
)

// Resolver resolves message and extension types from a backend's files
// (the files a source found and everything they import). Names it does not
// know are looked up in the program's types (protobuf's global registry)
// only for the well-known types (google.protobuf.*) and the error details
// of google.rpc.*, or for any name when the descriptors are the program's
// own ([Files]). It implements protoregistry.MessageTypeResolver and
// protoregistry.ExtensionTypeResolver, as protojson and proto.Unmarshal
// take them, and is safe for concurrent use.
type Resolver struct {
	local *protoregistry.Types
	// trustProgram lets every name fall back to the program's types.
	trustProgram bool
}

// newResolver collects the message and extension types of files and of
// everything they import.
func newResolver(files []protoreflect.FileDescriptor, trustProgram bool) (*Resolver, error) {
	types := &protoregistry.Types{}
	seen := map[string]bool{}
	var walk func(fd protoreflect.FileDescriptor) error
	walk = func(fd protoreflect.FileDescriptor) error {
		if seen[fd.Path()] {
			return nil
		}
		seen[fd.Path()] = true
		for i := range fd.Imports().Len() {
			if err := walk(fd.Imports().Get(i).FileDescriptor); err != nil {
				return err
			}
		}
		return registerTypes(types, fd.Messages(), fd.Extensions())
	}
	for _, fd := range files {
		if err := walk(fd); err != nil {
			return nil, err
		}
	}
	return &Resolver{local: types, trustProgram: trustProgram}, nil
}

func registerTypes(types *protoregistry.Types, msgs protoreflect.MessageDescriptors, exts protoreflect.ExtensionDescriptors) error {
	for i := range msgs.Len() {
		md := msgs.Get(i)
		if md.IsMapEntry() {
			continue
		}
		if _, err := types.FindMessageByName(md.FullName()); err == nil {
			continue
		}
		if err := types.RegisterMessage(MessageType(md)); err != nil {
			return fmt.Errorf("registering %s: %w", md.FullName(), err)
		}
		if err := registerTypes(types, md.Messages(), md.Extensions()); err != nil {
			return err
		}
	}
	for i := range exts.Len() {
		xd := exts.Get(i)
		if _, err := types.FindExtensionByName(xd.FullName()); err == nil {
			continue
		}
		if err := types.RegisterExtension(extensionType(xd)); err != nil {
			return fmt.Errorf("registering %s: %w", xd.FullName(), err)
		}
	}
	return nil
}

// fromProgram reports whether a type of this name may come from the
// program's types.
func (r *Resolver) fromProgram(name protoreflect.FullName) bool {
	return r.trustProgram || strings.HasPrefix(string(name), "google.protobuf.") || strings.HasPrefix(string(name), "google.rpc.")
}

// FindMessageByName returns the message type of this full name.
func (r *Resolver) FindMessageByName(name protoreflect.FullName) (protoreflect.MessageType, error) {
	if mt, err := r.local.FindMessageByName(name); err == nil || !r.fromProgram(name) {
		return mt, err
	}
	return protoregistry.GlobalTypes.FindMessageByName(name)
}

// FindMessageByURL returns the message type of an Any's type URL
// ("type.googleapis.com/pkg.Message").
func (r *Resolver) FindMessageByURL(url string) (protoreflect.MessageType, error) {
	mt, err := r.local.FindMessageByURL(url)
	if err == nil {
		return mt, nil
	}
	name := protoreflect.FullName(url[strings.LastIndexByte(url, '/')+1:])
	if !r.fromProgram(name) {
		return nil, err
	}
	return protoregistry.GlobalTypes.FindMessageByURL(url)
}

// FindExtensionByName returns the extension type of this full name.
func (r *Resolver) FindExtensionByName(name protoreflect.FullName) (protoreflect.ExtensionType, error) {
	if xt, err := r.local.FindExtensionByName(name); err == nil || !r.fromProgram(name) {
		return xt, err
	}
	return protoregistry.GlobalTypes.FindExtensionByName(name)
}

// FindExtensionByNumber returns the extension type of this field number of
// the message named message.
func (r *Resolver) FindExtensionByNumber(message protoreflect.FullName, field protoreflect.FieldNumber) (protoreflect.ExtensionType, error) {
	xt, err := r.local.FindExtensionByNumber(message, field)
	if err == nil {
		return xt, nil
	}
	gxt, gerr := protoregistry.GlobalTypes.FindExtensionByNumber(message, field)
	if gerr != nil || !r.fromProgram(gxt.TypeDescriptor().FullName()) {
		return nil, err
	}
	return gxt, nil
}
