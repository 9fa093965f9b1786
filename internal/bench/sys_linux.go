package bench

import (
	"bytes"
	"fmt"
	"os"
	"strconv"
	"syscall"
	"time"
)

// residentSetSize returns VmRSS from /proc/self/status, in bytes.
func residentSetSize() int64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	return parseVmRSS(b)
}

// parseVmRSS returns VmRSS of a /proc status file, in bytes.
func parseVmRSS(b []byte) int64 {
	for line := range bytes.Lines(b) {
		rest, ok := bytes.CutPrefix(line, []byte("VmRSS:"))
		if !ok {
			continue
		}
		fields := bytes.Fields(rest)
		if len(fields) == 0 {
			return 0
		}
		kib, err := strconv.ParseInt(string(fields[0]), 10, 64)
		if err != nil {
			return 0
		}
		return kib << 10
	}
	return 0
}

// ipBindAddressNoPort is IP_BIND_ADDRESS_NO_PORT from linux/in.h: a socket
// bound to a source address gets its port at connect time, so that the
// same port can serve connections to different destinations.
const ipBindAddressNoPort = 24

// bindAddressNoPort is a net.Dialer Control function that sets
// IP_BIND_ADDRESS_NO_PORT, so that many connections from one source
// address do not run out of ports at bind time.
func bindAddressNoPort(_, _ string, c syscall.RawConn) error {
	var serr error
	err := c.Control(func(fd uintptr) {
		serr = syscall.SetsockoptInt(int(fd), syscall.IPPROTO_IP, ipBindAddressNoPort, 1)
	})
	if err != nil {
		return err
	}
	return serr
}

// processStats returns the CPU time and the resident set size of another
// process, from /proc.
func processStats(pid int) (cpu time.Duration, rss int64, err error) {
	stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, 0, err
	}
	_, cpu, err = parsePIDStat(stat)
	if err != nil {
		return 0, 0, fmt.Errorf("/proc/%d/stat: %w", pid, err)
	}
	status, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, 0, err
	}
	return cpu, parseVmRSS(status), nil
}
