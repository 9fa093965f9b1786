package gateway_test

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"runtime/debug"
	"strings"
)

// goroutineStack is a goroutine of a heap dump: the size of its stack and
// the functions of its frames, innermost first.
type goroutineStack struct {
	stack uint64
	funcs []string
}

// has reports whether a function of g's stack has a name containing s.
func (g goroutineStack) has(s string) bool {
	for _, f := range g.funcs {
		if strings.Contains(f, s) {
			return true
		}
	}
	return false
}

// Records of the heap dump format (go1.7 heap dump, see
// runtime/heapdump.go) that come before the last goroutine's frames.
const (
	dumpObject     = 1
	dumpType       = 3
	dumpGoroutine  = 4
	dumpStackFrame = 5
	dumpParams     = 6
	dumpFinalizer  = 7
	dumpItab       = 8
	dumpOSThread   = 9 // the first record after the goroutines
	dumpDefer      = 14
	dumpPanic      = 15
)

// goroutineStacks writes a heap dump of the process to a file in dir and
// reads from it every goroutine's frames and the size of its stack. The
// dump lists a goroutine's frames and the address of its g, which is a
// heap object whose first field is its stack's bounds [lo, hi).
func goroutineStacks(dir string) ([]goroutineStack, error) {
	f, err := os.CreateTemp(dir, "heapdump")
	if err != nil {
		return nil, err
	}
	defer f.Close()
	debug.WriteHeapDump(f.Fd())
	// First the goroutines, then the bounds of their stacks: the objects
	// come first in the dump.
	var gs []goroutineStack
	addrs := map[uint64]int{}
	var order binary.ByteOrder = binary.LittleEndian
	ptrSize := 8
	if err := readDump(f, func(tag uint64, addr uint64, data []byte, name string) {
		switch tag {
		case dumpParams:
			if data[0] != 0 {
				order = binary.BigEndian
			}
			ptrSize = int(addr)
		case dumpGoroutine:
			addrs[addr] = len(gs)
			gs = append(gs, goroutineStack{})
		case dumpStackFrame:
			gs[len(gs)-1].funcs = append(gs[len(gs)-1].funcs, name)
		}
	}); err != nil {
		return nil, err
	}
	err = readDump(f, func(tag uint64, addr uint64, data []byte, _ string) {
		if i, ok := addrs[addr]; ok && tag == dumpObject && len(data) >= 2*ptrSize {
			gs[i].stack = word(order, data[ptrSize:], ptrSize) - word(order, data, ptrSize)
		}
	})
	return gs, err
}

// word reads a pointer-sized word from b.
func word(order binary.ByteOrder, b []byte, ptrSize int) uint64 {
	if ptrSize == 4 {
		return uint64(order.Uint32(b))
	}
	return order.Uint64(b)
}

// readDump reads the heap dump in f up to its goroutines' last frame, and
// calls record for its parameters (the pointer size, and whether the
// byte order is big-endian), each object (its address and first bytes),
// goroutine (its address) and stack frame (its function's name).
func readDump(f *os.File, record func(tag, addr uint64, data []byte, name string)) error {
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return err
	}
	r := bufio.NewReaderSize(f, 1<<20)
	header := make([]byte, len("go1.7 heap dump\n"))
	if _, err := io.ReadFull(r, header); err != nil || string(header) != "go1.7 heap dump\n" {
		return fmt.Errorf("not a go1.7 heap dump: %q, %v", header, err)
	}
	var err error
	num := func() uint64 {
		if err != nil {
			return 0
		}
		var v uint64
		v, err = binary.ReadUvarint(r)
		return v
	}
	skip := func(n int) {
		for range n {
			num()
		}
	}
	str := func(keep int) []byte {
		n := num()
		if err != nil {
			return nil
		}
		b := make([]byte, min(n, uint64(keep)))
		if _, err = io.ReadFull(r, b); err == nil {
			_, err = r.Discard(int(n) - len(b))
		}
		return b
	}
	fields := func() {
		for err == nil && num() != 0 {
			num()
		}
	}
	for err == nil {
		switch tag := num(); tag {
		case dumpObject:
			addr := num()
			data := str(16)
			fields()
			record(tag, addr, data, "")
		case dumpType:
			skip(2)
			str(0)
			skip(1)
		case dumpGoroutine:
			addr := num()
			skip(7)
			str(0) // wait reason
			skip(4)
			record(tag, addr, nil, "")
		case dumpStackFrame:
			skip(3)
			str(0) // contents
			skip(3)
			name := string(str(1 << 10))
			fields()
			record(tag, 0, nil, name)
		case dumpParams:
			bigEndian := num()
			ptrSize := num()
			skip(2)
			str(0)
			str(0)
			skip(1)
			record(tag, ptrSize, []byte{byte(bigEndian)}, "")
		case dumpFinalizer:
			skip(5)
		case dumpItab:
			skip(2)
		case dumpDefer:
			skip(7)
		case dumpPanic:
			skip(6)
		case dumpOSThread:
			return nil
		default:
			if err == nil {
				err = fmt.Errorf("heap dump: unexpected record %d", tag)
			}
		}
	}
	if errors.Is(err, io.EOF) {
		err = io.ErrUnexpectedEOF
	}
	return err
}
