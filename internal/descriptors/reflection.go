package descriptors

import (
	"context"
	"errors"
	"fmt"

	"github.com/jhump/protoreflect/v2/grpcreflect"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/reflect/protoreflect"
)

// ErrNoReflection is the error, wrapped, of [Reflection] when the backend
// answers Unimplemented for both versions of the reflection service: it
// does not offer server reflection, and its descriptors must come from
// another source.
var ErrNoReflection = errors.New("the backend does not offer gRPC server reflection (grpc.reflection.v1 and v1alpha are unimplemented)")

// Reflection asks the backend for its services with gRPC server reflection
// (grpc.reflection.v1, or v1alpha for older servers), within the context
// given to Load.
func Reflection() Source { return reflection{} }

type reflection struct{}

func (reflection) Load(ctx context.Context, conn grpc.ClientConnInterface, names []string) (*Set, error) {
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
			return nil, reflectionError("listing services with server reflection", err)
		}
		for _, n := range all {
			if !isInfrastructureService(n) {
				wanted = append(wanted, n)
			}
		}
	}
	services := make([]protoreflect.ServiceDescriptor, 0, len(wanted))
	files := make([]protoreflect.FileDescriptor, 0, len(wanted))
	for _, n := range wanted {
		fd, err := client.FileContainingSymbol(n)
		if err != nil {
			return nil, reflectionError(fmt.Sprintf("resolving service %s with server reflection", n), err)
		}
		sd := fd.Services().ByName(n.Name())
		if sd == nil || sd.FullName() != n {
			return nil, fmt.Errorf("resolving service %s with server reflection: %s is not a service", n, n)
		}
		services = append(services, sd)
		files = append(files, fd)
	}
	types, err := newResolver(files, false)
	if err != nil {
		return nil, err
	}
	return &Set{Services: services, Types: types}, nil
}

// reflectionError describes a failed reflection call; Unimplemented means
// the backend has no reflection service.
func reflectionError(doing string, err error) error {
	if status.Code(err) == codes.Unimplemented {
		return ErrNoReflection
	}
	return fmt.Errorf("%s: %w", doing, err)
}
