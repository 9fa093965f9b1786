package gateway

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"

	"github.com/ssegw/ssegw/internal/fanout"
	"github.com/ssegw/ssegw/sse"
)

// sharedCall returns the producer of a shared stream: the backend call of
// req with the metadata md, whose messages it publishes encoded once
// each. The call's response headers open the stream (they become the
// subscribers' response headers); a failure before them refuses it.
func (g *Gateway) sharedCall(m *method, req proto.Message, md metadata.MD) fanout.Producer {
	return func(ctx context.Context, p *fanout.Publisher) ([]byte, error) {
		if sm := m.share.metrics; sm != nil {
			sm.streams.Inc()
			defer sm.streams.Dec()
		}
		ctx, cancel := context.WithCancelCause(metadata.NewOutgoingContext(ctx, md))
		defer cancel(nil)
		cs, err := g.conn.NewStream(ctx, streamDesc, m.fullName, g.backendCodec)
		if err != nil {
			return nil, err
		}
		if err := cs.SendMsg(req); err != nil && !errors.Is(err, io.EOF) {
			return nil, err
		}
		if err := cs.CloseSend(); err != nil {
			return nil, err
		}
		gap := watchGap(m.maxMessageGap, cancel)
		defer gap.got()
		rcv := newReceiver(cs)
		defer rcv.stop()
		header, headerErr, arrived := g.awaitHeader(ctx, cs)
		if arrived && (header == nil || headerErr != nil) {
			// Failed at once, or ended without sending anything.
			err := rcv.prefetch()
			gap.got()
			if err != nil && !errors.Is(err, io.EOF) {
				if st := gapStatus(context.Cause(ctx), m); st != nil {
					err = st.Err()
				}
				return nil, err
			}
		}
		p.Open(header)
		enc := eventEncoder{g: g, m: m}
		for {
			gap.wait()
			f, err := rcv.next()
			gap.got()
			if err != nil {
				return g.sharedEnd(ctx, m, cs, err)
			}
			data, id, err := enc.encode(f.bytes(), p)
			rcv.done()
			if err != nil {
				return g.sharedEnd(ctx, m, nil, err)
			}
			p.Publish(id, data)
			if sm := m.share.metrics; sm != nil {
				sm.published.Inc()
			}
		}
	}
}

// sharedEnd returns the last event of a shared stream whose backend call
// ended with err (io.EOF for a normal end), and the error its subscribers
// record (nil for a normal end): "end", "error", or no event when the
// backend became unavailable in the middle of a resumable stream, so
// that the clients resume. cs is nil when the stream ends for a reason of
// the gateway's own, with no trailers to pass on.
func (g *Gateway) sharedEnd(ctx context.Context, m *method, cs grpc.ClientStream, err error) ([]byte, error) {
	if ctx.Err() != nil {
		st := gapStatus(context.Cause(ctx), m)
		if st == nil {
			return nil, context.Cause(ctx) // no longer wanted: no subscriber is left
		}
		err, cs = st.Err(), nil // ended by the gateway: no trailers
	}
	var trailers metadata.MD
	if cs != nil {
		trailers = g.forwardedMetadata(cs.Trailer())
	}
	if errors.Is(err, io.EOF) {
		final, _ := sse.AppendEvent(nil, g.endEvent(m, trailers))
		return final, nil
	}
	st := status.Convert(err)
	if st.Code() == codes.Unavailable && m.resumable() {
		g.cfg.logger.LogAttrs(ctx, slog.LevelInfo, "backend unavailable mid-stream; the clients will resume",
			slog.String("method", m.fullName), slog.String("message", st.Message()))
		return nil, err
	}
	public := st
	if gapStatus(context.Cause(ctx), m) == nil {
		public = g.publicStatus(ctx, m, st)
	}
	final, _ := sse.AppendEvent(nil, &sse.Event{Event: ErrorEvent, Data: g.statusJSON(public, trailers)})
	return final, err
}

// eventEncoder turns each message of a shared stream into its SSE bytes,
// once for all its subscribers: the JSON data, the event name, and the id
// from the method's id field or, for a method without one, the stream's
// epoch and the event's number.
type eventEncoder struct {
	g    *Gateway
	m    *method
	json []byte // reused
	id   []byte // reused
}

// encode returns the event of the message whose wire bytes are wire, in a
// slice of its own that is never changed afterwards, and the event's id.
// The error is the status of a message that cannot be written as JSON.
func (e *eventEncoder) encode(wire []byte, p *fanout.Publisher) (data []byte, id string, err error) {
	buf, dataEnd, name, err := e.m.appendEvent(e.json[:0], wire)
	if err != nil {
		return nil, "", err
	}
	e.json = buf // the data, then a name read from the message
	e.id = e.id[:0]
	if e.m.id != nil {
		var ok bool
		if e.id, ok = appendWireID(e.id, e.m.id, wire, e.m.out); !ok {
			e.id = e.id[:0]
		}
	} else {
		e.id = p.NextID(e.id)
	}
	ev := sse.Event{Event: name, ID: transientString(e.id), Data: buf[:dataEnd]}
	size := len(buf) + len(e.id) + len(name) + 24
	data, err = sse.AppendEvent(make([]byte, 0, size), &ev)
	if errors.Is(err, sse.ErrInvalidField) {
		if ok, held := e.m.idWarnings.allow(time.Now()); ok {
			e.g.cfg.logger.Warn("event id cannot be sent; events go without it", "method", e.m.fullName, "error", err, "held_back", held)
		}
		ev.ID, e.id = "", e.id[:0]
		data, err = sse.AppendEvent(make([]byte, 0, size), &ev)
	}
	if err != nil {
		return nil, "", status.Errorf(codes.Internal, "writing an event of %s: %v", e.m.fullName, err)
	}
	if cap(e.json) > maxPooledEventBuffer {
		// One large message must not hold its buffer for the life of
		// the stream.
		e.json = nil
	}
	return data, string(e.id), nil
}
