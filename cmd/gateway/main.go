// Command gateway serves the server-streaming methods of gRPC backends as
// Server-Sent Events routes.
//
//	gateway --backend localhost:9090               # discover services by reflection
//	gateway --backend localhost:9090 --descriptor-set api.binpb
//	gateway --backend localhost:9090 --proto acme/v1/api.proto --proto-path protos
//	gateway --config gateway.yaml                  # several backends, overrides, limits
//	gateway --demo                                 # embedded demo backend and page
//	gateway --print-config                         # effective configuration and routes
//
// Settings come from flags, SSEGW_… environment variables and a YAML file,
// in that order of precedence; docs/operations.md lists them. The command
// logs with log/slog to standard error. On SIGTERM or SIGINT it drains:
// open streams are told to reconnect elsewhere, and it exits with status 0
// within the drain timeout. A second signal stops it at once.
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	go func() {
		// After the first signal, the next one has its default effect.
		<-ctx.Done()
		stop()
	}()
	err := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "gateway:", err)
		os.Exit(exitCode(err))
	}
}
