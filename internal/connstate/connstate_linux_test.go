package connstate

import (
	"net"
	"syscall"
	"testing"
	"time"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// pair returns both ends of a loopback TCP connection; the dialled end
// has the smallest receive buffer, so that its window shuts after a few
// kilobytes it does not read.
func pair(t *testing.T) (server, client net.Conn) {
	t.Helper()
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer lis.Close()
	d := &net.Dialer{Control: func(_, _ string, c syscall.RawConn) error {
		return c.Control(func(fd uintptr) { _ = syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_RCVBUF, 1) })
	}}
	client, err = d.Dial("tcp", lis.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	server, err = lis.Accept()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { server.Close(); client.Close() })
	return server, client
}

func TestBacklogged(t *testing.T) {
	const patience = 100 * time.Millisecond
	server, client := pair(t)

	// A peer that reads: nothing waits for it.
	go func() {
		buf := make([]byte, 1024)
		for range 10 {
			if _, err := client.Read(buf); err != nil {
				return
			}
		}
	}()
	for range 10 {
		if _, err := server.Write([]byte("data: x\n\n")); err != nil {
			t.Fatal(err)
		}
	}
	// Long enough for a peer's silence to count: it acknowledged all.
	time.Sleep(2 * patience)
	if Backlogged(server, patience) || Abandoned(server, patience) {
		t.Error("a connection whose peer took everything is backlogged or abandoned")
	}

	// A peer that stopped reading: its window shuts, data waits.
	deadline := time.Now().Add(10 * time.Second)
	for !Backlogged(server, patience) {
		if time.Now().After(deadline) {
			t.Fatal("data written to a peer that stopped reading never counted as waiting")
		}
		_ = server.SetWriteDeadline(time.Now().Add(10 * time.Millisecond))
		_, _ = server.Write(make([]byte, 4096))
		time.Sleep(10 * time.Millisecond)
	}
	if Abandoned(server, patience) {
		t.Error("an open connection is abandoned")
	}

	// The peer resets the connection: the data that waited is still
	// there, and the connection was abandoned.
	_ = client.(*net.TCPConn).SetLinger(0)
	client.Close()
	deadline = time.Now().Add(10 * time.Second)
	for !Abandoned(server, patience) {
		if time.Now().After(deadline) {
			t.Fatal("a connection reset with data waiting never counted as abandoned")
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestNotTCP(t *testing.T) {
	a, b := net.Pipe()
	defer a.Close()
	defer b.Close()
	if Backlogged(a, 0) || Abandoned(a, 0) {
		t.Error("a pipe is backlogged or abandoned")
	}
}
