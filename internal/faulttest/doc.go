// Package faulttest holds the fault tests: real backends, gateways and
// sseclient clients on loopback sockets, with backends and gateway
// replicas stopped, killed and restarted under open streams, and with
// network faults (toxiproxy) between the client and the gateway and
// between the gateway and the backend.
package faulttest
