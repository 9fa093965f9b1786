package gateway

import (
	"context"
	"fmt"
	"os"
	"slices"
	"strings"

	"github.com/jhump/protoreflect/v2/grpcreflect"
	"google.golang.org/grpc"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protodesc"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/reflect/protoregistry"
	"google.golang.org/protobuf/types/descriptorpb"
)

// descriptorSource finds the services a gateway serves.
type descriptorSource interface {
	// services returns the named services, or all services when names is
	// empty.
	services(ctx context.Context, conn grpc.ClientConnInterface, names []string) ([]protoreflect.ServiceDescriptor, error)
}

// reflectionSource asks the backend with gRPC server reflection.
type reflectionSource struct{}

func (reflectionSource) services(ctx context.Context, conn grpc.ClientConnInterface, names []string) ([]protoreflect.ServiceDescriptor, error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	client := grpcreflect.NewClientAuto(ctx, conn)
	defer client.Reset()

	wanted := make([]protoreflect.FullName, 0, len(names))
	for _, n := range names {
		wanted = append(wanted, protoreflect.FullName(n))
	}
	if len(wanted) == 0 {
		all, err := client.ListServices()
		if err != nil {
			return nil, fmt.Errorf("listing services with server reflection: %w", err)
		}
		for _, n := range all {
			if !isInfrastructureService(n) {
				wanted = append(wanted, n)
			}
		}
	}
	out := make([]protoreflect.ServiceDescriptor, 0, len(wanted))
	for _, n := range wanted {
		fd, err := client.FileContainingSymbol(n)
		if err != nil {
			return nil, fmt.Errorf("resolving service %s with server reflection: %w", n, err)
		}
		sd := fd.Services().ByName(n.Name())
		if sd == nil || sd.FullName() != n {
			return nil, fmt.Errorf("resolving service %s with server reflection: %s is not a service", n, n)
		}
		out = append(out, sd)
	}
	return out, nil
}

// descriptorSetFileSource reads a serialized FileDescriptorSet.
type descriptorSetFileSource struct{ path string }

func (s descriptorSetFileSource) services(_ context.Context, _ grpc.ClientConnInterface, names []string) ([]protoreflect.ServiceDescriptor, error) {
	raw, err := os.ReadFile(s.path)
	if err != nil {
		return nil, fmt.Errorf("reading descriptor set: %w", err)
	}
	var set descriptorpb.FileDescriptorSet
	if err := proto.Unmarshal(raw, &set); err != nil {
		return nil, fmt.Errorf("decoding descriptor set %s: %w", s.path, err)
	}
	files, err := protodesc.NewFiles(&set)
	if err != nil {
		return nil, fmt.Errorf("loading descriptor set %s (was it built with its imports?): %w", s.path, err)
	}
	var all []protoreflect.FileDescriptor
	files.RangeFiles(func(fd protoreflect.FileDescriptor) bool {
		all = append(all, fd)
		return true
	})
	return servicesIn(all, names)
}

// filesSource uses file descriptors compiled into the program.
type filesSource struct{ files []protoreflect.FileDescriptor }

func (s filesSource) services(_ context.Context, _ grpc.ClientConnInterface, names []string) ([]protoreflect.ServiceDescriptor, error) {
	return servicesIn(s.files, names)
}

// servicesIn picks the named services (all but infrastructure services when
// names is empty) out of files.
func servicesIn(files []protoreflect.FileDescriptor, names []string) ([]protoreflect.ServiceDescriptor, error) {
	var out []protoreflect.ServiceDescriptor
	found := map[protoreflect.FullName]bool{}
	for _, fd := range files {
		for i := range fd.Services().Len() {
			sd := fd.Services().Get(i)
			switch {
			case len(names) == 0 && isInfrastructureService(sd.FullName()):
			case len(names) == 0 || slices.Contains(names, string(sd.FullName())):
				out = append(out, sd)
				found[sd.FullName()] = true
			}
		}
	}
	for _, n := range names {
		if !found[protoreflect.FullName(n)] {
			return nil, fmt.Errorf("service %s not found in the descriptors", n)
		}
	}
	return out, nil
}

func isInfrastructureService(name protoreflect.FullName) bool {
	return strings.HasPrefix(string(name), "grpc.reflection.") || name == "grpc.health.v1.Health"
}

// typeResolver resolves message and extension types from the descriptors a
// gateway serves, then from the types linked into the program: the Any
// values in a backend's messages and error details are printed with it.
type typeResolver struct {
	local *protoregistry.Types
}

// newTypeResolver collects the types of the files that declare services and
// everything they import.
func newTypeResolver(services []protoreflect.ServiceDescriptor) (*typeResolver, error) {
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
	for _, sd := range services {
		if err := walk(sd.ParentFile()); err != nil {
			return nil, err
		}
	}
	return &typeResolver{local: types}, nil
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
		if err := types.RegisterMessage(messageType(md)); err != nil {
			return fmt.Errorf("registering %s: %w", md.FullName(), err)
		}
		if err := registerTypes(types, md.Messages(), md.Extensions()); err != nil {
			return err
		}
	}
	for i := range exts.Len() {
		xd := exts.Get(i)
		xt, err := protoregistry.GlobalTypes.FindExtensionByName(xd.FullName())
		if err != nil || xt.TypeDescriptor().Descriptor() != xd {
			xt = dynamicExtensionType(xd)
		}
		if _, err := types.FindExtensionByName(xd.FullName()); err == nil {
			continue
		}
		if err := types.RegisterExtension(xt); err != nil {
			return fmt.Errorf("registering %s: %w", xd.FullName(), err)
		}
	}
	return nil
}

func (r *typeResolver) FindMessageByName(name protoreflect.FullName) (protoreflect.MessageType, error) {
	if mt, err := r.local.FindMessageByName(name); err == nil {
		return mt, nil
	}
	return protoregistry.GlobalTypes.FindMessageByName(name)
}

func (r *typeResolver) FindMessageByURL(url string) (protoreflect.MessageType, error) {
	if mt, err := r.local.FindMessageByURL(url); err == nil {
		return mt, nil
	}
	return protoregistry.GlobalTypes.FindMessageByURL(url)
}

func (r *typeResolver) FindExtensionByName(name protoreflect.FullName) (protoreflect.ExtensionType, error) {
	if xt, err := r.local.FindExtensionByName(name); err == nil {
		return xt, nil
	}
	return protoregistry.GlobalTypes.FindExtensionByName(name)
}

func (r *typeResolver) FindExtensionByNumber(message protoreflect.FullName, field protoreflect.FieldNumber) (protoreflect.ExtensionType, error) {
	if xt, err := r.local.FindExtensionByNumber(message, field); err == nil {
		return xt, nil
	}
	return protoregistry.GlobalTypes.FindExtensionByNumber(message, field)
}
