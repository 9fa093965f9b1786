// Package bench measures ssegw side by side with a direct gRPC client and
// with grpc-gateway, on one backend, in one run. It is the engine of
// cmd/ssebench; BENCHMARKS.md at the root of the repository describes the
// method and the results.
//
// The backend and the two gateways run in child processes of the bench
// binary (see MaybeRunChild), so that the CPU time and the memory of each
// can be measured apart; the clients run in the parent process, except for
// the many idle streams of the density scenario, which are spread over
// several client processes to stay within the open-file limit.
//
// ssegw runs as it is deployed: it reads the bench proto's descriptors from
// a descriptor set file, so that its messages are dynamic; a second ssegw
// process with the compiled-in Go types is measured beside it in T1. Each
// gateway's CPU per event is reported beside the direct gRPC client's CPU
// per message of the same run, and a run refuses to start, or to start a
// scenario, while the machine's load average is above a limit.
package bench
