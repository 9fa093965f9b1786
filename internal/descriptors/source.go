package descriptors

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"google.golang.org/grpc"
	"google.golang.org/protobuf/reflect/protoreflect"
)

// A Source finds the descriptors of a backend's services.
type Source interface {
	// Load returns the named services (full names such as
	// "pkg.v1.Service"), or, when names is empty, every service the source
	// offers except gRPC's reflection and health services. A named service
	// that cannot be found is an error. Only server reflection uses conn.
	Load(ctx context.Context, conn grpc.ClientConnInterface, names []string) (*Set, error)
}

// Set is what a source found.
type Set struct {
	// Services are the services, in the order of their files.
	Services []protoreflect.ServiceDescriptor
	// Types resolves the messages and extensions of the backend's files:
	// the Any values in its messages and error details are printed and
	// parsed with it.
	Types *Resolver
}

// newSet picks the named services out of files (all but infrastructure
// services when names is empty) and collects the types of every file.
func newSet(files []protoreflect.FileDescriptor, names []string, trustProgram bool) (*Set, error) {
	services, err := servicesIn(files, names)
	if err != nil {
		return nil, err
	}
	types, err := newResolver(files, trustProgram)
	if err != nil {
		return nil, err
	}
	return &Set{Services: services, Types: types}, nil
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
			case found[sd.FullName()]:
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

// isInfrastructureService reports whether a service is one of gRPC's own,
// which a backend offers beside its API and a gateway does not serve.
func isInfrastructureService(name protoreflect.FullName) bool {
	return strings.HasPrefix(string(name), "grpc.reflection.") || name == "grpc.health.v1.Health"
}
