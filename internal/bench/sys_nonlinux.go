//go:build !linux

package bench

import (
	"errors"
	"syscall"
	"time"
)

func residentSetSize() int64 { return 0 }

func processStats(int) (time.Duration, int64, error) {
	return 0, 0, errors.New("process statistics are read from /proc, on Linux only")
}

func bindAddressNoPort(_, _ string, _ syscall.RawConn) error { return nil }

func readCPUAccount() (cpuAccount, error) {
	return cpuAccount{}, errors.New("CPU time is read from /proc, on Linux only")
}
