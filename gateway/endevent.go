package gateway

import (
	"google.golang.org/grpc/metadata"

	"github.com/ssegw/ssegw/sse"
)

// endEvent returns the event that ends a stream of m that the backend
// ended normally: "end", whose data holds the forwarded trailers, or the
// method's sentinel (see ssegw.v1.Shape), which carries none.
func (g *Gateway) endEvent(m *method, trailers metadata.MD) *sse.Event {
	if s := m.shape; s != nil && s.sentinel {
		return &sse.Event{Event: s.sentinelEvent, Data: s.sentinelData}
	}
	data := []byte("{}")
	if len(trailers) > 0 {
		data = append([]byte(`{"trailers":`), metadataJSON(trailers)...)
		data = append(data, '}')
	}
	return &sse.Event{Event: EndEvent, Data: data}
}
