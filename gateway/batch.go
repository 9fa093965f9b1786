package gateway

import (
	"io"
	"sync"
	"unsafe"
)

// Batches of events.
//
// Events written without a flush, because more are ready at once, are
// gathered in a buffer and handed to the ResponseWriter together when the
// stream flushes: one chunk and one write system call for the batch,
// whatever the events' sizes (net/http's own buffers are 2 and 4 KiB, and
// larger writes go straight to the connection). The buffers are pooled
// and held only while a batch is open, so an idle stream holds none.
const (
	// maxBatch is the size at which a batch is handed on without waiting
	// for the flush.
	maxBatch = 32 << 10
	// maxPooledBatch is the largest batch buffer kept for reuse.
	maxPooledBatch = 2 * maxBatch
)

var batchBuffers = sync.Pool{New: func() any {
	b := make([]byte, 0, maxBatch)
	return &b
}}

// batchWriter passes writes on to w, except while a batch is open: then it
// gathers them until flush.
type batchWriter struct {
	w   io.Writer
	buf *[]byte // nil unless a batch is open
	// beforeWrite runs before a batch's bytes are written to w, so that
	// the write gets a whole write deadline.
	beforeWrite func()
}

// open reports whether a batch is open.
func (b *batchWriter) open() bool { return b.buf != nil }

// begin opens a batch, unless one is open already.
func (b *batchWriter) begin() {
	if b.buf == nil {
		b.buf = batchBuffers.Get().(*[]byte)
	}
}

// Write adds p to the open batch, first handing the batch on if p would
// make it larger than maxBatch. Without a batch, and for a p as large as a
// whole batch, it writes p to w.
func (b *batchWriter) Write(p []byte) (int, error) {
	if b.buf == nil {
		return b.w.Write(p)
	}
	if len(*b.buf) > 0 && len(*b.buf)+len(p) > maxBatch {
		if err := b.writeOut(); err != nil {
			return 0, err
		}
	}
	if len(p) >= maxBatch {
		return b.writeThrough(p)
	}
	*b.buf = append(*b.buf, p...)
	return len(p), nil
}

// flush writes the open batch, if any, to w and closes it.
func (b *batchWriter) flush() error {
	if b.buf == nil {
		return nil
	}
	err := b.writeOut()
	b.release()
	return err
}

// writeOut writes the batch to w and empties it.
func (b *batchWriter) writeOut() error {
	buf := *b.buf
	*b.buf = buf[:0]
	if len(buf) == 0 {
		return nil
	}
	n, err := b.writeThrough(buf)
	if err == nil && n < len(buf) {
		err = io.ErrShortWrite
	}
	return err
}

// writeThrough writes bytes of the open batch to w.
func (b *batchWriter) writeThrough(p []byte) (int, error) {
	if b.beforeWrite != nil {
		b.beforeWrite()
	}
	return b.w.Write(p)
}

// release closes the open batch, if any, dropping what it holds.
func (b *batchWriter) release() {
	if b.buf == nil {
		return
	}
	if cap(*b.buf) <= maxPooledBatch {
		*b.buf = (*b.buf)[:0]
		batchBuffers.Put(b.buf)
	}
	b.buf = nil
}

// transientString returns b as a string without copying it, for a value
// that is used only until b changes, such as an event id that the event's
// write copies into its encoding.
func transientString(b []byte) string {
	return unsafe.String(unsafe.SliceData(b), len(b))
}
