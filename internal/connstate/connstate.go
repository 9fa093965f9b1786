// Package connstate tells, from the kernel's view of a TCP connection,
// whether its peer is taking the data sent to it.
package connstate

import (
	"crypto/tls"
	"net"
	"syscall"
	"time"
)

// Backlogged reports whether data written to c has been waiting for its
// peer for patience or longer: bytes not sent yet (the peer's receive
// window is shut: it stopped reading) or sent but not acknowledged, while
// the peer acknowledged nothing for patience (on a healthy connection,
// data is acknowledged within a round trip), whether or not the kernel has
// closed the connection since. It is false where the system does not say
// (outside Linux), and for connections that are not TCP.
func Backlogged(c net.Conn, patience time.Duration) bool {
	rc := rawConn(c)
	if rc == nil {
		return false
	}
	return backlogged(rc, patience)
}

// Abandoned reports whether c was closed by the kernel, by a timeout (TCP
// user timeout, retransmissions) or a reset, rather than by its peer's
// orderly close, with data still waiting for the peer (queued or
// unacknowledged) and no acknowledgement from the peer for patience or
// longer: the peer had stopped taking data, or had gone. It is false
// where the system does not say (outside Linux), and for connections that
// are not TCP.
func Abandoned(c net.Conn, patience time.Duration) bool {
	rc := rawConn(c)
	if rc == nil {
		return false
	}
	return abandoned(rc, patience)
}

// rawConn returns the raw TCP connection under c, or nil.
func rawConn(c net.Conn) syscall.RawConn {
	if tc, ok := c.(*tls.Conn); ok {
		c = tc.NetConn()
	}
	tcp, ok := c.(*net.TCPConn)
	if !ok {
		return nil
	}
	rc, err := tcp.SyscallConn()
	if err != nil {
		return nil
	}
	return rc
}
