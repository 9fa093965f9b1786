package gateway

import (
	"context"
	"net"
)

// connKey is the context key of a request's connection.
type connKey struct{}

// ConnContext records c in ctx. Set it as the http.Server's ConnContext so
// that the gateway can tell a client that stopped taking data from one that
// left. When a TCP user timeout closes the connection of a client that
// stopped reading, the stream's write is often not the one to find out:
// the server's reader or the request's cancellation is, and without a look
// at the connection the stream would be counted as closed by its client.
// With it, the gateway looks at the connection (on Linux, the kernel's
// TCP_INFO: data not sent or not acknowledged, and since when) at most
// every quarter of the write timeout while writing, and when the stream
// ends, and counts such a client as a slow consumer.
func ConnContext(ctx context.Context, c net.Conn) context.Context {
	return context.WithValue(ctx, connKey{}, c)
}

// connOf returns the connection ConnContext recorded in ctx, or nil.
func connOf(ctx context.Context) net.Conn {
	c, _ := ctx.Value(connKey{}).(net.Conn)
	return c
}
