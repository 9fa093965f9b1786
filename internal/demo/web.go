package demo

import (
	"embed"
	"fmt"
	"net/http"
	"strings"
)

//go:embed web
var webFiles embed.FS

// Handler serves the demo page at / and everything else with next (the
// gateway).
func Handler(next http.Handler) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) {
		http.ServeFileFS(w, r, webFiles, "web/index.html")
	})
	mux.Handle("/", next)
	return mux
}

// Tries lists commands that show the demo routes working, for a gateway
// listening at base ("http://host:port").
func Tries(base string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "\nDemo page: %s/\nTry:\n", base)
	for _, c := range []string{
		"curl -N '%s/v1/symbols/ACME/ticks?interval=0.5s&count=5'",
		"curl -N '%s/v1/streams/demo/events?interval=0.2s&last_seq=10'",
		"curl -N -H 'Last-Event-ID: 7' '%s/v1/streams/demo/events?interval=0.2s&last_seq=10'",
		"curl -N '%s/examples.demo.v1.DemoService/Fail?code=5&message=gone&after=2&reason=DEMO'",
		"curl -i '%s/examples.demo.v1.DemoService/Fail?code=7&message=denied'",
		`curl -X POST -H 'Content-Type: application/json' -d '{"symbol":"ACME","side":"BUY","quantity":"30"}' '%s/v1/orders'`,
		"curl -N '%s/v1/orders/1/updates?interval=0.3s'",
	} {
		fmt.Fprintf(&b, "  "+c+"\n", base)
	}
	return b.String()
}
