package gateway

import (
	"context"
	"encoding/binary"
	"errors"
	"io"
	"net"
	"sync/atomic"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/mem"
	"google.golang.org/protobuf/types/known/emptypb"
	"google.golang.org/protobuf/types/known/wrapperspb"
)

// countingStream is a backend stream whose messages are all ready: total
// messages of size bytes, numbered in their first eight bytes. Before
// each receive it runs check, in the receiving goroutine; the fillAt-th
// receive closes filled.
type countingStream struct {
	grpc.ClientStream
	size, total int
	calls       atomic.Int64
	check       func()
	fillAt      int64
	filled      chan struct{}
}

func (s *countingStream) RecvMsg(m any) error {
	if s.check != nil {
		s.check()
	}
	n := s.calls.Add(1)
	if n == s.fillAt {
		close(s.filled)
	}
	if n > int64(s.total) {
		return io.EOF
	}
	b := make([]byte, s.size)
	binary.LittleEndian.PutUint64(b, uint64(n))
	m.(*frame).buf = mem.SliceBuffer(b)
	return nil
}

// drain reads every message of s from r, checking their order, and
// returns how many next found another message ready.
func drain(t *testing.T, r *receiver, s *countingStream) (ready []bool) {
	t.Helper()
	for want := uint64(1); ; want++ {
		f, err := r.next()
		if errors.Is(err, io.EOF) {
			if int(want) != s.total+1 {
				t.Fatalf("the stream ended after %d messages, want %d", want-1, s.total)
			}
			return ready
		}
		if err != nil {
			t.Fatal(err)
		}
		if got := binary.LittleEndian.Uint64(f.bytes()); got != want || f.size() != s.size {
			t.Fatalf("message %d of %d bytes, want message %d of %d bytes", got, f.size(), want, s.size)
		}
		ready = append(ready, r.more())
		r.done()
	}
}

// TestReceiveAheadIsBounded checks that the goroutine receiving ahead
// receives only while the messages it holds are under both bounds, that a
// message larger than the byte bound is received alone, and that a burst
// gathers up to the bound in number: all those messages are ready for one
// write.
func TestReceiveAheadIsBounded(t *testing.T) {
	for _, tc := range []struct {
		name   string
		size   int
		fillAt int64 // the receives it takes to reach a bound
	}{
		{"by number", 100, aheadMessages},
		{"by bytes", 4 << 10, aheadBytes / (4 << 10)},
		{"a message over the byte bound", aheadBytes + 1, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := &countingStream{size: tc.size, total: 3 * int(tc.fillAt), fillAt: tc.fillAt, filled: make(chan struct{})}
			r := newReceiver(s)
			defer r.stop()
			s.check = func() {
				if r.full() {
					t.Errorf("receiving with %d messages and %d bytes received ahead",
						r.pending.Load()/aheadUnit, r.pending.Load()%aheadUnit)
				}
			}
			r.receiveAhead()
			select {
			case <-s.filled:
			case <-time.After(10 * time.Second):
				t.Fatal("the messages were not received ahead")
			}
			if got := r.holding(); got < (tc.fillAt-1)*int64(tc.size) {
				t.Errorf("holding %d bytes, want the %d messages received ahead", got, tc.fillAt-1)
			}
			ready := drain(t, r, s)
			// All but the last of the messages received before the bound
			// were ready together.
			for i := range tc.fillAt - 2 {
				if !ready[i] {
					t.Fatalf("message %d: the next one was not ready", i+1)
				}
			}
			if r.holding() != 0 {
				t.Errorf("holding %d bytes after the stream ended", r.holding())
			}
		})
	}
}

// TestQuietStreamHoldsNoMessages receives a burst of 4 KiB messages ahead
// from a real backend, which then goes quiet, and checks that the stream
// holds none of them while it waits, and that it stops receiving ahead
// once the quiet receive returns.
func TestQuietStreamHoldsNoMessages(t *testing.T) {
	const burst, size = 64, 4 << 10
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	release := make(chan struct{})
	srv := grpc.NewServer(grpc.UnknownServiceHandler(func(_ any, ss grpc.ServerStream) error {
		if err := ss.RecvMsg(&emptypb.Empty{}); err != nil {
			return err
		}
		msg := wrapperspb.Bytes(make([]byte, size))
		for range burst {
			if err := ss.SendMsg(msg); err != nil {
				return err
			}
		}
		// Quiet for longer than aheadIdle, until the test has looked.
		select {
		case <-release:
		case <-ss.Context().Done():
			return ss.Context().Err()
		}
		quiet := time.NewTimer(2 * aheadIdle)
		defer quiet.Stop()
		select {
		case <-quiet.C:
		case <-ss.Context().Done():
			return ss.Context().Err()
		}
		return ss.SendMsg(msg)
	}))
	go func() { _ = srv.Serve(lis) }()
	defer srv.Stop()
	conn, err := grpc.NewClient(lis.Addr().String(), grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	cs, err := conn.NewStream(ctx, streamDesc, "/quiet.Backend/Burst", newFrameCodec().callOption())
	if err != nil {
		t.Fatal(err)
	}
	if err := cs.SendMsg(&emptypb.Empty{}); err != nil {
		t.Fatal(err)
	}
	if err := cs.CloseSend(); err != nil {
		t.Fatal(err)
	}

	r := newReceiver(cs)
	defer r.stop()
	r.receiveAhead()
	for i := range burst + 1 {
		if i == burst {
			// Every message of the burst has been written; the stream
			// waits for the next one with nothing in hand.
			if r.holding() != 0 || r.ahead == nil {
				t.Fatalf("waiting, holding %d bytes, receiving ahead %v: want 0 bytes, receiving ahead", r.holding(), r.ahead != nil)
			}
			close(release)
		}
		f, err := r.next()
		if err != nil {
			t.Fatal(err)
		}
		if f.size() < size {
			t.Fatalf("message %d has %d bytes", i, f.size())
		}
		r.done()
	}
	if r.holding() != 0 || r.ahead != nil {
		t.Fatalf("after the quiet receive, holding %d bytes, receiving ahead %v: want 0 bytes, not receiving ahead", r.holding(), r.ahead != nil)
	}
	if _, err := r.next(); !errors.Is(err, io.EOF) {
		t.Fatalf("after the last message: %v, want EOF", err)
	}
}
