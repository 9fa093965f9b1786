package httprequest_test

import (
	"context"
	"fmt"
	"net/url"

	"google.golang.org/protobuf/encoding/protojson"

	"github.com/ssegw/ssegw/internal/httprequest"
	"github.com/ssegw/ssegw/internal/kitchensink"
)

// A route GET /v1/everything/inner/{inner.name} of a type known only by
// its descriptors: an enum by name, a repeated enum, a timestamp and a map
// entry from the query.
func Example() {
	d, err := kitchensink.Compile(context.Background())
	if err != nil {
		panic(err)
	}
	mt, _ := d.Types.FindMessageByName("kitchensink.v1.Everything")
	b, err := httprequest.New(mt, httprequest.Binding{PathVariables: []string{"inner.name"}},
		httprequest.Options{Resolver: d.Types, RequestParam: "request", RefuseUnknown: true})
	if err != nil {
		panic(err)
	}
	q, _ := url.ParseQuery("color=CRIMSON&repeatedColor=2&repeatedColor=BLUE&timestamp=2026-01-02T03:04:05Z&map_int32[7]=seven")
	msg, err := b.Build(httprequest.Request{PathValues: map[string]string{"inner.name": "n"}, Query: q})
	if err != nil {
		panic(err)
	}
	out, _ := protojson.MarshalOptions{Resolver: d.Types}.Marshal(msg)
	fmt.Println(string(compact(out)))

	_, err = b.Build(httprequest.Request{PathValues: map[string]string{"inner.name": "n"}, Query: url.Values{"color": {"PURPLE"}}})
	fmt.Println(err)
	// Output:
	// {"color":"RED","repeatedColor":["GREEN","BLUE"],"inner":{"name":"n"},"mapInt32":{"7":"seven"},"timestamp":"2026-01-02T03:04:05Z"}
	// query parameter "color": field kitchensink.v1.Everything.color: "PURPLE" is not a value of enum kitchensink.v1.Color (a name, or a number)
}

// compact drops the spaces protojson may put after separators.
func compact(b []byte) []byte {
	out := b[:0]
	inString := false
	for i, c := range b {
		switch {
		case c == '"' && (i == 0 || b[i-1] != '\\'):
			inString = !inString
		case c == ' ' && !inString:
			continue
		}
		out = append(out, c)
	}
	return out
}
