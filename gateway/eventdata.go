package gateway

import (
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/ssegw/ssegw/sse"
)

// Event data.
//
// A backend message reaches the pump as its wire bytes, which the
// method's pbjson.TypeEncoder writes as JSON, by a plan compiled from the
// descriptor, into a buffer taken from a pool for the time of one event:
// a quiet stream holds none. The event id is read from the same bytes.
const (
	// eventBufferSize is the capacity of a new event buffer.
	eventBufferSize = 1 << 10
	// maxPooledEventBuffer is the largest event buffer kept for reuse.
	maxPooledEventBuffer = 64 << 10
)

var eventBuffers = sync.Pool{New: func() any {
	b := make([]byte, 0, eventBufferSize)
	return &b
}}

// setEncoder gives m the encoders of its messages (and of their parts,
// when its events are shaped), and logs, once for the type, when protojson
// writes them rather than a plan.
func (g *Gateway) setEncoder(m *method) error {
	m.json = g.events.Type(m.out)
	if err := m.json.Fallback(); err != nil {
		g.cfg.logger.Debug("messages are written by protojson", slog.String("method", m.fullName),
			slog.String("type", string(m.desc.Output().FullName())), slog.String("reason", err.Error()))
	}
	if m.shape != nil {
		if err := m.shape.compile(m.json); err != nil {
			return fmt.Errorf("%s: %w", m.desc.FullName(), err)
		}
	}
	return nil
}

// sendMessage writes the event of the message whose wire bytes are wire,
// flushing it unless more says that another message is ready. encodeErr
// is the status of a message that cannot be written as JSON; writeErr an
// error of the write, which has ended the stream.
func (g *Gateway) sendMessage(m *method, ew *eventWriter, ev *sse.Event, wire []byte, more bool) (encodeErr, writeErr error) {
	buf := eventBuffers.Get().(*[]byte)
	defer func() {
		if cap(*buf) <= maxPooledEventBuffer {
			*buf = (*buf)[:0]
			eventBuffers.Put(buf)
		}
	}()
	data, dataEnd, name, err := m.appendEvent((*buf)[:0], wire)
	if err != nil {
		return err, nil
	}
	ev.Event, ev.Data, ev.ID = name, data[:dataEnd], ""
	if m.id != nil {
		if withID, ok := appendWireID(data, m.id, wire, m.out); ok {
			// The id follows the data (and a name read from the message)
			// in the buffer; the write copies them.
			ev.Data, ev.ID = withID[:dataEnd], transientString(withID[len(data):])
			data = withID
		}
	}
	*buf = data
	err = ew.send(ev, more)
	if errors.Is(err, sse.ErrInvalidField) {
		if ok, held := m.idWarnings.allow(time.Now()); ok {
			g.cfg.logger.Warn("event id cannot be sent; events go without it", "method", m.fullName, "error", err, "held_back", held)
		}
		ev.ID = ""
		err = ew.send(ev, more)
	}
	return nil, err
}
