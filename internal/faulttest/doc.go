// Package faulttest holds the fault tests: real backends, gateways and
// sseclient clients on loopback sockets, with backends and gateway
// replicas stopped, killed and restarted under open streams.
package faulttest
