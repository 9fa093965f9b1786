// Package protos holds the project's .proto sources, so that programs can
// compile them at run time: the gateway resolves the imports it offers to
// every user (google/api/annotations.proto, google/api/http.proto and
// ssegw/v1/options.proto) from here, and the tests' kitchen-sink backend
// builds its descriptors from its sources here, without linking any Go
// types generated from them.
package protos

import "embed"

// FS holds the .proto files under this directory, by their import paths
// ("ssegw/v1/options.proto", "testdata/kitchensink/v1/types.proto", …).
//
//go:embed google ssegw examples bench testdata
var FS embed.FS
