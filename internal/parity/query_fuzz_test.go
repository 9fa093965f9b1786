package parity_test

import (
	"context"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/grpc-ecosystem/grpc-gateway/v2/runtime"
	"github.com/grpc-ecosystem/grpc-gateway/v2/utilities"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"

	kitchensinkv1 "github.com/ssegw/ssegw/gen/testdata/kitchensink/v1"
	"github.com/ssegw/ssegw/internal/httprequest"
	"github.com/ssegw/ssegw/internal/kitchensink"
)

// FuzzQueryParser compares httprequest.QueryParser on the kitchen-sink
// API's dynamic messages with grpc-gateway's DefaultQueryParser on its
// generated Go types, the reference: for any query, both refuse it, or
// both build the same message. The intended differences are skipped.
func FuzzQueryParser(f *testing.F) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	api, err := kitchensink.Compile(ctx)
	if err != nil {
		f.Fatal(err)
	}
	everything, err := api.Types.FindMessageByName(kitchensink.Package + ".Everything")
	if err != nil {
		f.Fatal(err)
	}
	for _, tc := range parityCases {
		if u, err := url.Parse(tc.target); err == nil && tc.method == "" {
			f.Add(u.RawQuery)
		}
	}
	for _, seed := range []string{
		"color=3&color=4", "inner.inner.inner.colors=2", "map_bool[1]=x", "map_uint32[+1]=a", "int32_value=+5",
		"timestamp=2024-02-29T24:00:00Z", "duration=1h1m1.5s", "struct=null", "value=%5B%5D", "double_wrapper=-0",
		"choice_inner.name=a&choice_string=b", "Item.title=x", "bytes_value=AQ%3D", "bytes_value=A", "float_value=3.4028235e38",
	} {
		f.Add(seed)
	}
	reference := &runtime.DefaultQueryParser{}
	ours := httprequest.QueryParser{}
	empty := utilities.NewDoubleArray(nil)
	f.Fuzz(func(t *testing.T, rawQuery string) {
		values, err := url.ParseQuery(rawQuery)
		if err != nil || intendedDifference(values) {
			return
		}
		want := &kitchensinkv1.Everything{}
		wantErr := reference.Parse(want, cloneValues(values), empty)
		got := everything.New().Interface()
		gotErr := ours.Parse(got, cloneValues(values), empty)
		switch {
		case wantErr != nil && gotErr != nil:
			return
		case wantErr != nil:
			t.Fatalf("%q: grpc-gateway refuses it (%v), QueryParser builds %v", rawQuery, wantErr, got)
		case gotErr != nil:
			t.Fatalf("%q: grpc-gateway builds %v, QueryParser refuses it (%v)", rawQuery, want, gotErr)
		}
		raw, err := proto.Marshal(want)
		if err != nil {
			return // grpc-gateway built what cannot be sent (invalid UTF-8)
		}
		converted := everything.New().Interface()
		if err := (proto.UnmarshalOptions{Resolver: api.Types}).Unmarshal(raw, converted); err != nil {
			t.Fatal(err)
		}
		if !proto.Equal(converted, got) {
			o := protojson.MarshalOptions{Resolver: api.Types}
			a, _ := o.Marshal(converted)
			b, _ := o.Marshal(got)
			t.Fatalf("%q:\ngrpc-gateway %s\nQueryParser  %s", rawQuery, a, b)
		}
	})
}

// intendedDifference reports whether a query uses what QueryParser
// accepts on purpose where grpc-gateway does not, or the reverse: open
// enum numbers that name no value, ListValue, maps given without a key,
// and unknown nested parameters (which grpc-gateway ignores after
// creating their parent messages).
func intendedDifference(values url.Values) bool {
	for key, vs := range values {
		if unknownNested(key) {
			return true
		}
		field := strings.ToLower(strings.ReplaceAll(key, "_", ""))
		switch {
		case strings.Contains(field, "listvalue"):
			return true
		case strings.HasPrefix(field, "map") && !strings.Contains(key, "["):
			return true
		case strings.Contains(field, "color"):
			for _, v := range vs {
				if n, err := strconv.ParseInt(v, 10, 32); err == nil && (n < 0 || n > 3) {
					return true
				}
			}
		}
	}
	return false
}

// unknownNested reports whether key names no field, after naming at least
// one message field.
func unknownNested(key string) bool {
	if i := strings.IndexByte(key, '['); i >= 0 {
		key = key[:i]
	}
	md := (&kitchensinkv1.Everything{}).ProtoReflect().Descriptor()
	for i, name := range strings.Split(key, ".") {
		fields := md.Fields()
		fd := fields.ByName(protoreflect.Name(name))
		if fd == nil {
			fd = fields.ByTextName(name)
		}
		if fd == nil {
			fd = fields.ByJSONName(name)
		}
		if fd == nil {
			return i > 0
		}
		if fd.Message() == nil || fd.IsList() || fd.IsMap() {
			return false
		}
		md = fd.Message()
	}
	return false
}

func cloneValues(v url.Values) url.Values {
	out := make(url.Values, len(v))
	for k, vs := range v {
		out[k] = append([]string(nil), vs...)
	}
	return out
}
