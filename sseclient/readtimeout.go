package sseclient

import (
	"io"
	"time"
)

// timedBody is the body of an accepted response. With a read timeout, it
// pushes the connection's deadline back whenever
// bytes arrive. The deadline is a timer, armed before the request was
// sent, that cancels the connection's context with ErrReadTimeout; that
// aborts a Read blocked on a silent connection.
type timedBody struct {
	rc      io.ReadCloser
	timer   *time.Timer // nil without a read timeout
	timeout time.Duration
}

func (b *timedBody) Read(p []byte) (int, error) {
	n, err := b.rc.Read(p)
	if n > 0 && b.timer != nil {
		b.timer.Reset(b.timeout)
	}
	return n, err
}
