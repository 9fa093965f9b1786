package gateway

import "time"

// unaryConfig holds the options of unary serving.
type unaryConfig struct {
	off     bool          // WithoutUnary
	timeout time.Duration // WithUnaryTimeout; 0 for none
}

// WithoutUnary serves only the server-streaming methods, for those who
// want streams alone from the gateway: unary methods get no routes. By
// default every unary method is served as JSON (see the package
// documentation).
func WithoutUnary() Option {
	return func(c *config) { c.unary.off = true }
}

// WithUnaryTimeout bounds every unary call: its deadline is d after the
// request arrived, or sooner when the request's Grpc-Timeout header asks
// for less. Zero (the default) sets no bound of the gateway's own: a call
// then has the deadline of its Grpc-Timeout header, if any, and ends when
// its client goes away. A call past its deadline fails with
// DEADLINE_EXCEEDED, 504. Streams are not affected.
func WithUnaryTimeout(d time.Duration) Option {
	return func(c *config) { c.unary.timeout = d }
}
