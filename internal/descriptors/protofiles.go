package descriptors

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"google.golang.org/grpc"
)

// ProtoFiles compiles .proto files when the set is loaded, in the process,
// with protocompile, as protoc would: proto2, proto3 and editions (2023).
//
// Files are named relative to an import path, as they are imported
// ("acme/prices/v1/prices.proto"), or by a file name inside an import
// path; importPaths are the directories their imports are looked for in,
// in order (default: the current directory). Imports not found there come
// from copies built into the program: google/api/annotations.proto,
// google/api/http.proto, ssegw/v1/options.proto and the well-known types
// (google/protobuf/*.proto), so that a user's own copy on an import path
// wins. Comments are kept as source information. Compile errors name the
// file, line and column of each problem.
//
// The services are those of the named files and of the files they import.
func ProtoFiles(files []string, importPaths ...string) Source {
	return protoFiles{files: files, importPaths: importPaths}
}

type protoFiles struct {
	files       []string
	importPaths []string
}

func (p protoFiles) Load(ctx context.Context, _ grpc.ClientConnInterface, names []string) (*Set, error) {
	files, err := compile(ctx, p.files, p.importPaths)
	if err != nil {
		return nil, err
	}
	return newSet(files, names, false)
}

// importName returns the name by which file is compiled: its path relative
// to the import path it is found in.
func importName(file string, importPaths []string) (string, error) {
	if !filepath.IsAbs(file) {
		for _, dir := range importPaths {
			if fi, err := os.Stat(filepath.Join(dir, file)); err == nil && fi.Mode().IsRegular() {
				return filepath.ToSlash(filepath.Clean(file)), nil
			}
		}
	}
	// A file name on disk, inside an import path.
	abs, err := filepath.Abs(file)
	if err != nil {
		return "", err
	}
	if fi, err := os.Stat(abs); err == nil && fi.Mode().IsRegular() {
		for _, dir := range importPaths {
			absDir, err := filepath.Abs(dir)
			if err != nil {
				continue
			}
			if rel, err := filepath.Rel(absDir, abs); err == nil && filepath.IsLocal(rel) {
				return filepath.ToSlash(rel), nil
			}
		}
		return "", fmt.Errorf("%s is not inside an import path (%s)", file, strings.Join(importPaths, ", "))
	}
	return "", fmt.Errorf("%s: %w in the import paths (%s)", file, errNotFound, strings.Join(importPaths, ", "))
}

var errNotFound = errors.New("not found")
