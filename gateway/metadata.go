package gateway

import (
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
func (g *Gateway) outgoingMetadata(r *http.Request, lastEventID, token string) metadata.MD {
	md := metadata.MD{}
	for _, key := range g.incomingHeaders {
		if values := r.Header.Values(key); len(values) > 0 {
			md[key] = values
		}
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
	return md
}

// forwardedMetadata keeps the allowlisted keys of backend metadata.
func (g *Gateway) forwardedMetadata(md metadata.MD) metadata.MD {
	var out metadata.MD
	for _, key := range g.outgoingKeys {
		if values := md.Get(key); len(values) > 0 {
			if out == nil {
				out = metadata.MD{}
			}
			out[key] = values
		}
	}
	return out
}
