package gateway

import (
	"context"
	"errors"
	"fmt"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// errMessageGap is the cause with which a gapWatch cancels a backend call.
var errMessageGap = errors.New("gateway: no message from the backend within the method's maximum gap")

// gapWatch bounds how long a stream waits for the backend's next message
// (the method option max_message_gap): armed while the stream waits, it
// cancels the backend call with errMessageGap when the wait lasts too
// long. A nil gapWatch watches nothing.
type gapWatch struct {
	gap   time.Duration
	timer *time.Timer
	armed bool
}

// watchGap starts watching for the first message of a call whose context
// cancel ends; it returns nil when gap is zero.
func watchGap(gap time.Duration, cancel context.CancelCauseFunc) *gapWatch {
	if gap <= 0 {
		return nil
	}
	return &gapWatch{gap: gap, timer: time.AfterFunc(gap, func() { cancel(errMessageGap) }), armed: true}
}

// wait arms the watch before the stream waits for a message, unless it
// is armed already (the wait for the first message counts from the start
// of the call). Only the stream's goroutine calls wait and got.
func (w *gapWatch) wait() {
	if w != nil && !w.armed {
		w.armed = true
		w.timer.Reset(w.gap)
	}
}

// got disarms the watch once a message (or the end) has arrived.
func (w *gapWatch) got() {
	if w != nil && w.armed {
		w.armed = false
		w.timer.Stop()
	}
}

// gapStatus is the status of a stream whose backend call a gapWatch
// cancelled, or nil when cause is another.
func gapStatus(cause error, m *method) *status.Status {
	if !errors.Is(cause, errMessageGap) {
		return nil
	}
	return status.New(codes.Unavailable, fmt.Sprintf("the backend sent no message for %v", m.maxMessageGap))
}
