// Command gateway serves the server-streaming methods of a gRPC backend as
// Server-Sent Events routes.
//
//	gateway --backend localhost:9090               # discover services by reflection
//	gateway --backend localhost:9090 --descriptor-set api.binpb
//	gateway --demo                                 # embedded demo backend and page
//
// It logs with log/slog to standard error and exits cleanly on SIGINT and
// SIGTERM.
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
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "gateway:", err)
		os.Exit(exitCode(err))
	}
}
