package sseclient

import (
	"encoding/base64"
	"net/http"
	"strings"

	"google.golang.org/grpc/metadata"
)

// unsendableHeaders are metadata keys that are not sent as request
// headers: they describe the HTTP connection, are set by the client, or
// are gRPC's own.
var unsendableHeaders = map[string]bool{
	"connection": true, "keep-alive": true, "proxy-connection": true, "transfer-encoding": true,
	"upgrade": true, "te": true, "trailer": true, "host": true, "content-type": true,
	"content-length": true, "user-agent": true, "accept": true, "cache-control": true,
	"last-event-id": true,
}

// addMetadataHeaders adds outgoing gRPC metadata to HTTP request headers.
// Binary ("-bin") values are base64-encoded, as gRPC does on the wire.
func addMetadataHeaders(h http.Header, md metadata.MD) {
	for key, values := range md {
		key = strings.ToLower(key)
		if unsendableHeaders[key] || strings.HasPrefix(key, "grpc-") || strings.HasPrefix(key, ":") {
			continue
		}
		bin := strings.HasSuffix(key, "-bin")
		for _, v := range values {
			if bin {
				v = base64.RawStdEncoding.EncodeToString([]byte(v))
			}
			h.Add(key, v)
		}
	}
}

// headerMetadata returns HTTP response headers as gRPC metadata, with
// lower-case keys. Values of "-bin" keys are base64-decoded when they are
// valid base64.
func headerMetadata(h http.Header) metadata.MD {
	md := make(metadata.MD, len(h))
	for key, values := range h {
		key = strings.ToLower(key)
		bin := strings.HasSuffix(key, "-bin")
		for _, v := range values {
			if bin {
				if b, err := decodeBinHeader(v); err == nil {
					v = string(b)
				}
			}
			md[key] = append(md[key], v)
		}
	}
	return md
}

// decodeBinHeader decodes base64 with or without padding.
func decodeBinHeader(v string) ([]byte, error) {
	if len(v)%4 == 0 {
		return base64.StdEncoding.DecodeString(v)
	}
	return base64.RawStdEncoding.DecodeString(v)
}
