package connstate

import (
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// tcpClose is TCP_CLOSE of linux/tcp_states.h.
const tcpClose = 7

func backlogged(rc syscall.RawConn, patience time.Duration) bool {
	info := tcpInfo(rc)
	// In any state: the kernel may have closed the connection already
	// (after a timeout), keeping what waited.
	return info != nil && waiting(info, patience)
}

// waiting reports whether data waits for the peer, which acknowledged
// nothing for patience.
func waiting(info *unix.TCPInfo, patience time.Duration) bool {
	lastAck := time.Duration(info.Last_ack_recv) * time.Millisecond
	return (info.Notsent_bytes > 0 || info.Unacked > 0) && lastAck >= patience
}

func abandoned(rc syscall.RawConn, patience time.Duration) bool {
	info := tcpInfo(rc)
	if info == nil || info.State != tcpClose {
		return false
	}
	// The kernel keeps the send queue of a connection it closed after a
	// timeout or a reset, until the socket is closed.
	return waiting(info, patience)
}

// tcpInfo returns the connection's TCP_INFO, or nil.
func tcpInfo(rc syscall.RawConn) *unix.TCPInfo {
	var info *unix.TCPInfo
	if err := rc.Control(func(fd uintptr) {
		info, _ = unix.GetsockoptTCPInfo(int(fd), unix.IPPROTO_TCP, unix.TCP_INFO)
	}); err != nil {
		return nil
	}
	return info
}
