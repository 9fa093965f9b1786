// Package demo is the backend that `gateway --demo` runs in-process: an
// implementation of examples.demo.v1.DemoService (streams of ticks, a
// resumable sequence, failures, and orders placed with a unary call and
// watched on a stream), served with gRPC server reflection and health
// checking so that the gateway can discover it like any other backend,
// and the demo page that uses it.
package demo
