//go:build !linux

package connstate

import (
	"syscall"
	"time"
)

func backlogged(syscall.RawConn, time.Duration) bool { return false }

func abandoned(syscall.RawConn, time.Duration) bool { return false }
