package gateway

import (
	"errors"
	"fmt"
	"net"
	"os"
	"syscall"
	"testing"
	"time"
)

// A failed write is a slow consumer when it missed its deadline or found
// the connection closed by a TCP user timeout, and a client that went away
// otherwise.
func TestWriteFailureCause(t *testing.T) {
	for _, tc := range []struct {
		name string
		err  error
		slow bool
	}{
		{"deadline", fmt.Errorf("write: %w", os.ErrDeadlineExceeded), true},
		{"user timeout", &net.OpError{Op: "write", Net: "tcp", Err: os.NewSyscallError("write", syscall.ETIMEDOUT)}, true},
		{"reset", &net.OpError{Op: "write", Net: "tcp", Err: os.NewSyscallError("write", syscall.ECONNRESET)}, false},
		{"closed", net.ErrClosed, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ew := &eventWriter{sr: &streamRecord{}, writeTimeout: time.Minute, writeStart: time.Now()}
			cause := ew.failure(tc.err)
			if got := errors.Is(cause, errSlowConsumer); got != tc.slow || ew.sr.slow != tc.slow {
				t.Errorf("failure(%v) = %v (slow %t), want slow %t", tc.err, cause, ew.sr.slow, tc.slow)
			}
			if !errors.Is(cause, tc.err) {
				t.Errorf("failure(%v) = %v does not wrap the write's error", tc.err, cause)
			}
		})
	}
}
