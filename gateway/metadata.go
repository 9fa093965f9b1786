package gateway

import (
	"encoding/base64"
	"fmt"
	"net/http"
	"strings"

	"google.golang.org/grpc/metadata"
)

// reservedHeaders may not be forwarded as metadata: they describe the HTTP
// connection or are set by gRPC itself.
var reservedHeaders = map[string]bool{
	"connection": true, "keep-alive": true, "proxy-connection": true, "transfer-encoding": true,
	"upgrade": true, "te": true, "trailer": true, "host": true, "content-type": true,
	"content-length": true, "user-agent": true, "last-event-id": true, "cookie": true,
}

// normalizeHeaderNames lower-cases names and refuses reserved ones.
func normalizeHeaderNames(names []string) ([]string, error) {
	out := make([]string, 0, len(names))
	for _, n := range names {
		key := strings.ToLower(strings.TrimSpace(n))
		switch {
		case key == "":
			return nil, fmt.Errorf("empty header name")
		case reservedHeaders[key], strings.HasPrefix(key, "grpc-"), strings.HasPrefix(key, ":"):
			return nil, fmt.Errorf("header %q is reserved and cannot be forwarded", n)
		}
		out = append(out, key)
	}
	return out, nil
}

// outgoingMetadata is the metadata sent to the backend: the allowlisted
// request headers and cookies, the access token as authorization, and the
// last event id as "last-event-id".
//
// Values of binary keys (ending in "-bin") travel base64-encoded in HTTP
// headers, as gRPC and grpc-gateway carry them; they are decoded here.
func (g *Gateway) outgoingMetadata(r *http.Request, lastEventID, token string) (metadata.MD, error) {
	md := metadata.MD{}
	for _, key := range g.incomingHeaders {
		values := r.Header.Values(key)
		if len(values) == 0 {
			continue
		}
		if strings.HasSuffix(key, "-bin") {
			decoded := make([]string, len(values))
			for i, v := range values {
				b, err := decodeBinaryHeader(v)
				if err != nil {
					return nil, invalidArgument("header %s is not base64: %v", key, err)
				}
				decoded[i] = string(b)
			}
			values = decoded
		}
		md[key] = values
	}
	if cookies := g.forwardedCookies(r); cookies != "" {
		md["cookie"] = []string{cookies}
	}
	if token != "" {
		md["authorization"] = []string{"Bearer " + token}
	}
	if lastEventID != "" {
		md["last-event-id"] = []string{lastEventID}
	}
	return md, nil
}

// decodeBinaryHeader decodes base64 with or without padding.
func decodeBinaryHeader(v string) ([]byte, error) {
	if len(v)%4 == 0 {
		return base64.StdEncoding.DecodeString(v)
	}
	return base64.RawStdEncoding.DecodeString(v)
}

// forwardedMetadata keeps the allowlisted keys of backend metadata, with
// the values of binary keys base64-encoded, so that they can stand in HTTP
// headers and JSON.
func (g *Gateway) forwardedMetadata(md metadata.MD) metadata.MD {
	var out metadata.MD
	for _, key := range g.outgoingKeys {
		values := md.Get(key)
		if len(values) == 0 {
			continue
		}
		if strings.HasSuffix(key, "-bin") {
			encoded := make([]string, len(values))
			for i, v := range values {
				encoded[i] = base64.StdEncoding.EncodeToString([]byte(v))
			}
			values = encoded
		}
		if out == nil {
			out = metadata.MD{}
		}
		out[key] = values
	}
	return out
}
