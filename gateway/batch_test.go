package gateway

import (
	"bytes"
	"strings"
	"testing"
)

// countingWriter records each write it is given.
type countingWriter struct {
	bytes.Buffer
	writes int
}

func (c *countingWriter) Write(p []byte) (int, error) {
	c.writes++
	return c.Buffer.Write(p)
}

func TestBatchWriterKeepsOrderAndGathersWrites(t *testing.T) {
	var out countingWriter
	b := batchWriter{w: &out}

	// Without a batch, writes pass through.
	_, _ = b.Write([]byte("a"))
	if out.writes != 1 {
		t.Fatalf("%d writes without a batch, want 1", out.writes)
	}

	// A batch gathers small writes into one.
	b.begin()
	for range 100 {
		_, _ = b.Write([]byte("bb"))
	}
	if out.writes != 1 {
		t.Fatalf("%d writes while the batch is open, want none more", out.writes)
	}
	if err := b.flush(); err != nil {
		t.Fatal(err)
	}
	if out.writes != 2 {
		t.Fatalf("%d writes after flush, want the batch in one", out.writes)
	}

	// A batch that would grow past maxBatch is handed on first, and a
	// write as large as a batch goes straight through, in order.
	b.begin()
	_, _ = b.Write([]byte("c"))
	big := strings.Repeat("d", maxBatch)
	_, _ = b.Write([]byte(big))
	_, _ = b.Write([]byte("e"))
	if err := b.flush(); err != nil {
		t.Fatal(err)
	}
	want := "a" + strings.Repeat("bb", 100) + "c" + big + "e"
	if out.String() != want {
		t.Fatalf("wrote %d bytes out of order, want %d", out.Len(), len(want))
	}
	if out.writes != 5 {
		t.Errorf("%d writes, want 5: a, the first batch, c, the large write, e", out.writes)
	}

	// Released without a flush, a batch is dropped.
	b.begin()
	_, _ = b.Write([]byte("lost"))
	b.release()
	if strings.Contains(out.String(), "lost") || b.buf != nil {
		t.Error("a released batch was written or kept")
	}
}

// Every write of a batch's bytes gets a fresh deadline (beforeWrite), and
// gathering bytes sets none: a batch that fills and blocks has the whole
// write timeout.
func TestBatchWriterArmsADeadlineBeforeEachWrite(t *testing.T) {
	var out countingWriter
	armed := 0
	b := batchWriter{w: &out, beforeWrite: func() {
		armed++
		if armed != out.writes+1 {
			t.Errorf("deadline %d set after write %d", armed, out.writes)
		}
	}}
	b.begin()
	for range 10 {
		_, _ = b.Write([]byte("small"))
	}
	if armed != 0 {
		t.Fatalf("%d deadlines set while gathering, want none", armed)
	}
	_, _ = b.Write([]byte(strings.Repeat("x", maxBatch-10))) // hands the batch on, then is gathered
	_, _ = b.Write([]byte(strings.Repeat("y", maxBatch)))    // hands that on, then goes through
	if err := b.flush(); err != nil {
		t.Fatal(err)
	}
	if armed != 3 || out.writes != 3 {
		t.Errorf("%d deadlines for %d writes, want 3 of each", armed, out.writes)
	}
}
