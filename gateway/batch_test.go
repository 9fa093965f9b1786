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
