//go:build !linux

package main

import (
	"syscall"
	"time"
)

// userTimeoutControl does nothing here: the user timeout is Linux's.
func userTimeoutControl(time.Duration) func(network, address string, c syscall.RawConn) error {
	return nil
}
