package httprequest

import (
	"bytes"

	"github.com/grpc-ecosystem/grpc-gateway/v2/runtime"
	"google.golang.org/protobuf/reflect/protoreflect"
)

// fieldMaskName is the full name of google.protobuf.FieldMask.
const fieldMaskName protoreflect.FullName = "google.protobuf.FieldMask"

// soleFieldMask returns the only field of md whose type is
// google.protobuf.FieldMask, or nil when there is none, or more than one,
// or it is repeated: grpc-gateway fills a mask from the body only then.
func soleFieldMask(md protoreflect.MessageDescriptor) protoreflect.FieldDescriptor {
	var found protoreflect.FieldDescriptor
	fields := md.Fields()
	for i := range fields.Len() {
		fd := fields.Get(i)
		if fd.Message() == nil || fd.Message().FullName() != fieldMaskName {
			continue
		}
		if found != nil {
			return nil
		}
		found = fd
	}
	if found != nil && (found.IsList() || found.IsMap()) {
		return nil
	}
	return found
}

// maskFromBody sets the field mask of msg, when it has no paths, to the
// paths of the fields the JSON body sets, with grpc-gateway's
// runtime.FieldMaskFromRequestBody, which reads only the body message's
// descriptors. The mask is then set, even with no paths, as grpc-gateway
// sets it.
func (b *Builder) maskFromBody(msg protoreflect.Message, body []byte) error {
	paths := b.mask.Message().Fields().ByName("paths")
	if paths == nil {
		return nil
	}
	if msg.Has(b.mask) && msg.Get(b.mask).Message().Get(paths).List().Len() > 0 {
		return nil
	}
	parent := msg
	for _, fd := range b.body[:len(b.body)-1] {
		parent = parent.Get(fd).Message()
	}
	bodyMsg := parent.NewField(b.body[len(b.body)-1]).Message().Interface()
	fm, err := runtime.FieldMaskFromRequestBody(bytes.NewReader(body), bodyMsg)
	if err != nil {
		return err
	}
	list := msg.Mutable(b.mask).Message().Mutable(paths).List()
	for _, p := range fm.GetPaths() {
		list.Append(protoreflect.ValueOfString(p))
	}
	return nil
}
