package gateway

import (
	"compress/gzip"
	"context"
	"io"
	"net/http"
	"sync"
	"time"

	"github.com/ssegw/ssegw/sse"
)

// eventWriter writes the events of one stream to its HTTP response and
// sends heartbeats when the stream has been idle for a period. The stream's
// goroutine writes messages; heartbeats are written from a timer, so an
// idle stream costs no goroutine of its own. A failed write cancels the
// stream.
type eventWriter struct {
	mu        sync.Mutex
	enc       *sse.Writer
	gz        *gzip.Writer // nil unless the stream is compressed
	rc        *http.ResponseController
	cancel    context.CancelFunc
	err       error
	closed    bool
	lastWrite time.Time

	period    time.Duration
	heartbeat sse.Event // named heartbeat event; zero for a comment
	timer     *time.Timer
}

// newEventWriter writes to w, through gz when it is not nil.
func newEventWriter(w http.ResponseWriter, gz *gzip.Writer, cancel context.CancelFunc, period time.Duration, heartbeatEvent string) *eventWriter {
	var out io.Writer = w
	if gz != nil {
		out = gz
	}
	ew := &eventWriter{
		enc:       sse.NewWriter(out),
		gz:        gz,
		rc:        http.NewResponseController(w),
		cancel:    cancel,
		lastWrite: time.Now(),
		period:    period,
		heartbeat: sse.Event{Event: heartbeatEvent},
	}
	if period > 0 {
		ew.timer = time.AfterFunc(period, ew.beat)
	}
	return ew
}

// write writes ev and flushes it.
func (ew *eventWriter) write(ev *sse.Event) error {
	ew.mu.Lock()
	defer ew.mu.Unlock()
	if ew.err != nil {
		return ew.err
	}
	return ew.done(ew.enc.WriteEvent(ev))
}

// start flushes the committed response headers, with a retry hint when
// retry is positive, so that the client sees the stream open before the
// first message.
func (ew *eventWriter) start(retry time.Duration) error {
	ew.mu.Lock()
	defer ew.mu.Unlock()
	if retry > 0 {
		return ew.done(ew.enc.WriteRetry(retry))
	}
	return ew.done(nil)
}

// done flushes after a write and records the outcome. ew.mu is held.
func (ew *eventWriter) done(err error) error {
	if err == nil && ew.gz != nil {
		err = ew.gz.Flush()
	}
	if err == nil {
		err = ew.rc.Flush()
	}
	if err != nil {
		ew.err = err
		ew.cancel()
		return err
	}
	ew.lastWrite = time.Now()
	return nil
}

// beat runs on the heartbeat timer: it writes a heartbeat when nothing was
// written for a whole period, and arms the timer for the next one.
func (ew *eventWriter) beat() {
	ew.mu.Lock()
	defer ew.mu.Unlock()
	if ew.closed || ew.err != nil {
		return
	}
	if idle := time.Since(ew.lastWrite); idle < ew.period {
		ew.timer.Reset(ew.period - idle)
		return
	}
	var err error
	if ew.heartbeat.Event != "" {
		err = ew.enc.WriteEvent(&ew.heartbeat)
	} else {
		err = ew.enc.WriteComment("ping")
	}
	if ew.done(err) == nil {
		ew.timer.Reset(ew.period)
	}
}

// close stops heartbeats and ends the compressed stream, if any. Once it
// returns, nothing more is written.
func (ew *eventWriter) close() {
	ew.mu.Lock()
	defer ew.mu.Unlock()
	ew.closed = true
	if ew.timer != nil {
		ew.timer.Stop()
	}
	if ew.gz != nil && ew.err == nil {
		_ = ew.gz.Close()
	}
}
