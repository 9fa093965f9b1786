package gateway_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/ssegw/ssegw/gateway"
	"github.com/ssegw/ssegw/internal/kitchensink"
)

// descriptorMode is one way for the gateway to learn the kitchen-sink
// API.
type descriptorMode struct {
	name   string
	source gateway.Option
}

// kitchenSinkModes returns the three descriptor sources of a sidecar:
// server reflection, a descriptor set file, and the .proto sources
// compiled at start (without google/api and ssegw/v1, which come from the
// gateway's built-in copies).
func kitchenSinkModes(t *testing.T, api *kitchensink.Descriptors) []descriptorMode {
	t.Helper()
	setFile := kitchenSinkSetFile(t, api)
	sources := t.TempDir()
	if err := kitchensink.WriteSources(sources); err != nil {
		t.Fatal(err)
	}
	for _, builtIn := range []string{"google", "ssegw"} {
		if err := os.RemoveAll(filepath.Join(sources, builtIn)); err != nil {
			t.Fatal(err)
		}
	}
	return []descriptorMode{
		{"reflection", gateway.WithReflection()},
		{"descriptor set", gateway.WithDescriptorSetFile(setFile)},
		{"proto sources", gateway.WithProtoFiles(kitchensink.SourceFiles, sources)},
	}
}

// unaryResponse is a unary answer, read whole.
type unaryResponse struct {
	status int
	header http.Header
	body   []byte
}

// callUnary sends one request and reads its answer whole.
func callUnary(t *testing.T, method, url string, header http.Header, body string) unaryResponse {
	t.Helper()
	resp, cancel := do(t, method, url, header, body)
	defer cancel()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("%s %s: reading the answer: %v", method, url, err)
	}
	return unaryResponse{status: resp.StatusCode, header: resp.Header, body: b}
}

// jsonHeader is the header of a request with a JSON body.
func jsonHeader() http.Header { return http.Header{"Content-Type": {"application/json"}} }

// sameJSON reports whether a and b hold the same JSON value, whatever
// their whitespace and member order.
func sameJSON(a, b []byte) bool {
	var va, vb any
	da, db := json.NewDecoder(bytes.NewReader(a)), json.NewDecoder(bytes.NewReader(b))
	da.UseNumber()
	db.UseNumber()
	if da.Decode(&va) != nil || db.Decode(&vb) != nil {
		return false
	}
	return reflect.DeepEqual(va, vb)
}

// statusOf decodes a JSON google.rpc.Status body.
func statusOf(t *testing.T, body []byte) (code int, message string) {
	t.Helper()
	var st struct {
		Code    *int            `json:"code"`
		Message string          `json:"message"`
		Details json.RawMessage `json:"details"`
	}
	if err := json.Unmarshal(body, &st); err != nil || st.Code == nil || st.Details == nil {
		t.Fatalf("body %s is not a google.rpc.Status: %v", body, err)
	}
	return *st.Code, st.Message
}

// kitchenSinkSetFile writes the kitchen-sink API's descriptor set, with its
// imports, into a file, as `buf build -o` would, and returns its path.
func kitchenSinkSetFile(t *testing.T, api *kitchensink.Descriptors) string {
	t.Helper()
	set, err := api.DescriptorSet()
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "kitchensink.binpb")
	if err := os.WriteFile(path, set, 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}
