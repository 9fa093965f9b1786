// Package parity holds tests only: the same HTTP requests sent to
// grpc-gateway's generated handler for the kitchen-sink API and to ssegw,
// in front of one backend, must build the same request messages and, when
// malformed, be refused with the same HTTP status; unary methods must also
// be answered with the same JSON (and the same google.rpc.Status for a
// failure); except for the differences listed in its tests and in the
// README. Unlike the gateway's
// own tests, it links the kitchen-sink Go types, as grpc-gateway's
// generated code needs them.
package parity
