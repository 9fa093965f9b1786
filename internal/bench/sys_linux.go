package bench

import (
	"bytes"
	"os"
	"strconv"
	"syscall"
)

// residentSetSize returns VmRSS from /proc/self/status, in bytes.
func residentSetSize() int64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
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
