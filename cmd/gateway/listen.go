package main

import (
	"context"
	"net"
	"time"
)

// listen opens the listener for clients. Where the system allows it,
// accepted connections get a TCP user timeout of unacked (the write
// timeout): a connection whose sent bytes stay unacknowledged that long,
// because the client vanished (half-open) or its window stayed shut, is
// closed by the kernel, and the stream on it ends at its next write. The
// write deadline alone cannot notice this on a quiet stream: heartbeats are
// a few bytes, and the socket buffer takes them for a long time.
func listen(ctx context.Context, addr string, unacked time.Duration) (net.Listener, error) {
	lc := net.ListenConfig{Control: userTimeoutControl(unacked)}
	return lc.Listen(ctx, "tcp", addr)
}
