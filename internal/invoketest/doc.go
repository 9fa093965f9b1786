// Package invoketest holds tests only: the generated client of the
// kitchen-sink API calls every unary binding form through sseclient.Conn
// and a gateway that knows the backend only by server reflection. It links
// the kitchen-sink Go types, as a Go program calling the API does, which
// the sseclient tests of dynamic decoding must not; the gateway still sees
// dynamic messages.
package invoketest
