package descriptors

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"

	"github.com/bufbuild/protocompile"
	"github.com/bufbuild/protocompile/linker"
	"github.com/bufbuild/protocompile/reporter"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protodesc"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/reflect/protoregistry"
	"google.golang.org/protobuf/types/descriptorpb"

	protos "github.com/ssegw/ssegw/proto"
)

// maxCompileErrors bounds the errors one compilation reports.
const maxCompileErrors = 20

// builtInImports are the files that .proto sources may import without
// supplying them, besides the well-known types: the google.api.http
// option and the gateway's own options.
func builtInImport(name string) bool {
	switch name {
	case "google/api/annotations.proto", "google/api/http.proto", "ssegw/v1/options.proto":
		return true
	}
	return false
}

// compile compiles files (see ProtoFiles) and returns them with everything
// they import, imports first.
func compile(ctx context.Context, files, importPaths []string) ([]protoreflect.FileDescriptor, error) {
	if len(files) == 0 {
		return nil, errors.New("no .proto files to compile")
	}
	if len(importPaths) == 0 {
		importPaths = []string{"."}
	}
	names := make([]string, 0, len(files))
	for _, f := range files {
		name, err := importName(f, importPaths)
		if err != nil {
			return nil, fmt.Errorf("compiling .proto files: %w", err)
		}
		names = append(names, name)
	}
	tree := &sourceTree{importPaths: importPaths, found: map[string]string{}}
	var problems []string
	c := protocompile.Compiler{
		Resolver:       protocompile.WithStandardImports(tree),
		SourceInfoMode: protocompile.SourceInfoStandard,
		Reporter: reporter.NewReporter(func(err reporter.ErrorWithPos) error {
			problems = append(problems, tree.describe(err))
			if len(problems) == maxCompileErrors {
				return errors.New("too many errors")
			}
			return nil
		}, nil),
	}
	compiled, err := c.Compile(ctx, names...)
	if err == nil {
		return tree.link(compiled)
	}
	// An import that cannot be found is not reported, but returned.
	if ewp, ok := errors.AsType[reporter.ErrorWithPos](err); ok && len(problems) == 0 {
		problems = append(problems, tree.describe(ewp))
	}
	switch {
	case len(problems) == 1:
		return nil, &compileError{fmt.Sprintf("compiling .proto files: %s", problems[0]), err}
	case len(problems) == maxCompileErrors:
		return nil, &compileError{fmt.Sprintf("compiling .proto files: the first %d errors:\n%s", len(problems), strings.Join(problems, "\n")), err}
	case len(problems) > 1:
		return nil, &compileError{fmt.Sprintf("compiling .proto files: %d errors:\n%s", len(problems), strings.Join(problems, "\n")), err}
	}
	return nil, fmt.Errorf("compiling .proto files: %w", err)
}

// sourceTree finds .proto sources in the import paths, then among the
// built-in imports. It remembers where it found each.
type sourceTree struct {
	importPaths []string

	mu    sync.Mutex
	found map[string]string // import name → file name, or "" when built in
}

// FindFileByPath implements protocompile.Resolver. protocompile calls it
// from several goroutines.
func (t *sourceTree) FindFileByPath(name string) (protocompile.SearchResult, error) {
	for _, dir := range t.importPaths {
		path := filepath.Join(dir, filepath.FromSlash(name))
		src, err := os.ReadFile(path)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return protocompile.SearchResult{}, err
		}
		t.remember(name, path)
		return protocompile.SearchResult{Source: bytes.NewReader(src)}, nil
	}
	if builtInImport(name) {
		src, err := fs.ReadFile(protos.FS, name)
		if err != nil {
			return protocompile.SearchResult{}, err
		}
		t.remember(name, "")
		return protocompile.SearchResult{Source: bytes.NewReader(src)}, nil
	}
	return protocompile.SearchResult{}, fmt.Errorf("%w in the import paths (%s)", fs.ErrNotExist, strings.Join(t.importPaths, ", "))
}

func (t *sourceTree) remember(name, path string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.found[name] = path
}

// lookup returns where name was found: a file name, "" when built in; ok
// is false when the tree did not supply it (a well-known type).
func (t *sourceTree) lookup(name string) (path string, ok bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	path, ok = t.found[name]
	return path, ok
}

// describe writes a compile error as "file:line:column: message", with the
// file's name on disk when it was read from disk.
func (t *sourceTree) describe(err reporter.ErrorWithPos) string {
	pos := err.GetPosition()
	file := pos.Filename
	if path, ok := t.lookup(file); ok && path != "" {
		file = path
	}
	return fmt.Sprintf("%s:%d:%d: %v", file, pos.Line, pos.Col, err.Unwrap())
}

// link turns protocompile's results into protobuf-go's own descriptors, as
// a descriptor set would give them, keeping source information. The
// well-known types that the tree did not supply are the program's own
// descriptors, so that their messages are the generated Go types.
func (t *sourceTree) link(compiled linker.Files) ([]protoreflect.FileDescriptor, error) {
	reg := &protoregistry.Files{}
	var out []protoreflect.FileDescriptor
	var add func(fd protoreflect.FileDescriptor) error
	add = func(fd protoreflect.FileDescriptor) error {
		if _, err := reg.FindFileByPath(fd.Path()); err == nil {
			return nil
		}
		for i := range fd.Imports().Len() {
			if err := add(fd.Imports().Get(i).FileDescriptor); err != nil {
				return err
			}
		}
		var final protoreflect.FileDescriptor
		if _, supplied := t.lookup(fd.Path()); !supplied {
			final, _ = protoregistry.GlobalFiles.FindFileByPath(fd.Path())
		}
		if final == nil {
			fdp, err := normalized(fd)
			if err != nil {
				return fmt.Errorf("compiling .proto files: %s: %w", fd.Path(), err)
			}
			if final, err = protodesc.NewFile(fdp, reg); err != nil {
				return fmt.Errorf("compiling .proto files: %s: %w", fd.Path(), err)
			}
		}
		if err := reg.RegisterFile(final); err != nil {
			return fmt.Errorf("compiling .proto files: %s: %w", fd.Path(), err)
		}
		out = append(out, final)
		return nil
	}
	for _, fd := range compiled {
		if err := add(fd); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// normalized returns the descriptor proto of a compiled file as a
// descriptor set holds it once decoded: protocompile keeps custom options
// (google.api.http, ssegw.v1.stream) as dynamic messages, which become the
// program's types, or unknown fields, as after reading a descriptor set.
func normalized(fd protoreflect.FileDescriptor) (*descriptorpb.FileDescriptorProto, error) {
	var fdp *descriptorpb.FileDescriptorProto
	if r, ok := fd.(linker.Result); ok {
		fdp = r.FileDescriptorProto()
	} else {
		fdp = protodesc.ToFileDescriptorProto(fd)
	}
	raw, err := proto.Marshal(fdp)
	if err != nil {
		return nil, err
	}
	out := &descriptorpb.FileDescriptorProto{}
	if err := proto.Unmarshal(raw, out); err != nil {
		return nil, err
	}
	return out, nil
}

// compileError says what was wrong with .proto files in the words of the
// problems found, and wraps the compiler's error.
type compileError struct {
	msg string
	err error
}

func (e *compileError) Error() string { return e.msg }
func (e *compileError) Unwrap() error { return e.err }
