// Package shapetest holds end-to-end tests of shaped events (see
// ssegw.v1.Shape) from a gRPC backend to Go code: the kitchen-sink
// backend, a gateway that knows it only by server reflection, and
// sseclient with the generated kitchen-sink client on the other side,
// whose Recv returns whole response messages rebuilt from the events, and
// typed streams that decode each case as a type of its own.
package shapetest
