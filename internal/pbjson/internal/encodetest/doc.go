// Package encodetest holds what the differential tests of pbjson's Encoder
// share: a source of choices read from fuzz input, random wire bytes for a
// message type, random descriptors, and the comparison with protojson. It
// links no generated message types of its own, so that tests of dynamic
// messages can use it.
package encodetest
