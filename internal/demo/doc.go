// Package demo is the backend that `gateway --demo` runs in-process: an
// implementation of examples.demo.v1.DemoService, served with gRPC server
// reflection and health checking so that the gateway can discover it like
// any other backend.
package demo
