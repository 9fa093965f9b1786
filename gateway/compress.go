package gateway

import (
	"compress/gzip"
	"net/http"
	"strconv"
	"strings"
)

// WithCompression gzips streams for clients that accept it
// (Accept-Encoding: gzip). It is off by default: SSE events are small and
// arrive one at a time, so compression saves little per event, costs
// memory per stream, and some proxies buffer compressed responses. When
// on, the compressor is flushed after every event and heartbeat, so each
// one reaches the client at once.
func WithCompression() Option {
	return func(c *config) { c.compress = true }
}

// gzipWriter returns a pooled gzip writer that writes to w.
func (g *Gateway) gzipWriter(w http.ResponseWriter) *gzip.Writer {
	if gz, ok := g.gzipWriters.Get().(*gzip.Writer); ok {
		gz.Reset(w)
		return gz
	}
	gz, _ := gzip.NewWriterLevel(w, gzip.BestSpeed) // a valid level cannot fail
	return gz
}

// acceptsGzip reports whether the request's Accept-Encoding allows gzip.
func acceptsGzip(r *http.Request) bool {
	gzipQ, anyQ := -1.0, -1.0
	for _, field := range r.Header.Values("Accept-Encoding") {
		for part := range strings.SplitSeq(field, ",") {
			coding, params, _ := strings.Cut(part, ";")
			q := 1.0
			if v, ok := strings.CutPrefix(strings.TrimSpace(params), "q="); ok {
				parsed, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
				if err != nil {
					continue
				}
				q = parsed
			}
			switch strings.ToLower(strings.TrimSpace(coding)) {
			case "gzip", "x-gzip":
				gzipQ = q
			case "*":
				anyQ = q
			}
		}
	}
	if gzipQ >= 0 {
		return gzipQ > 0
	}
	return anyQ > 0
}
