package sseclient

import (
	"context"
	"fmt"
	"io"
	"iter"
	"net/http"
	"sync"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"

	"github.com/ssegw/ssegw/internal/pbjson"
	"github.com/ssegw/ssegw/sse"
)

// Stream is a stream of protobuf messages decoded from the events of an
// SSE stream, such as one served by the gateway. Create one with
// [Subscribe].
//
// Recv returns the messages, io.EOF after the gateway's "end" event, and
// gRPC status errors otherwise (see [Subscribe]). Recv must not be called
// concurrently; Close, Header, Trailer and LastEventID may be called from
// any goroutine.
type Stream[T proto.Message] struct {
	ms    *msgStream
	types map[string]protoreflect.MessageType
	def   protoreflect.MessageType // type of events without a mapping; nil: skip them
}

// Subscribe connects to the stream at target and returns it as a typed
// stream. target and opts are as for [Client.Events].
//
// The data of each event is decoded as protojson into a new T, ignoring
// unknown fields so that newer servers do not break older clients. With
// [WithEventType], events of the mapped names are decoded as the mapped
// types, which must implement T; T can then be an interface such as
// proto.Message, in which case events of other names are skipped. Events
// with empty data, such as named heartbeats, are skipped.
//
// The gateway's terminal events end the stream: "end" with io.EOF (its
// trailers are then available from Trailer), "error" with the status it
// carries, code, message and details intact. Other failures are also gRPC
// status errors, which keep the underlying error for errors.Is and
// errors.As: a response that is not an event stream is a [*ResponseError]
// (with the status of its JSON body, or one derived from its HTTP status);
// a connection that closes before "end" without being resumed is
// Unavailable; an event over the size limit is ResourceExhausted; ctx's
// end and Close are Canceled or DeadlineExceeded. A 204 response ends the
// stream with io.EOF.
//
// Subscribe returns once the server has accepted the request, or with the
// error that prevented it, after the retries the reconnection options
// allow.
func Subscribe[T proto.Message](ctx context.Context, c *Client, target string, opts ...Option) (*Stream[T], error) {
	cfg := c.cfg.with(opts)
	s := &Stream[T]{types: cfg.eventTypes}
	var zero T
	if any(zero) != nil {
		s.def = zero.ProtoReflect().Type()
	}
	for name, mt := range s.types {
		if _, ok := mt.Zero().Interface().(T); !ok {
			return nil, fmt.Errorf("sseclient: the type %s for event %q is not a %T", mt.Descriptor().FullName(), name, zero)
		}
	}
	resolver := newResolver(cfg.files)
	es, err := newEventStream(ctx, cfg, target, resolver)
	if err != nil {
		return nil, err
	}
	s.ms = newMsgStream(es, resolver, c.plans)
	if err := s.ms.start(); err != nil {
		return nil, err
	}
	return s, nil
}

// Recv returns the next message.
func (s *Stream[T]) Recv() (T, error) {
	var zero T
	for {
		ev, err := s.ms.next()
		if err != nil {
			return zero, err
		}
		mt := s.def
		if t, ok := s.types[ev.Event]; ok {
			mt = t
		}
		if mt == nil {
			continue
		}
		msg := mt.New().Interface()
		if err := s.ms.decode(ev, msg); err != nil {
			return zero, err
		}
		return msg.(T), nil
	}
}

// All returns the messages of the stream as an iterator. A failure is
// yielded once, as the error of the last pair; the normal end of the
// stream ends the iteration without one. Breaking out of the loop does not
// close the stream.
func (s *Stream[T]) All() iter.Seq2[T, error] {
	return func(yield func(T, error) bool) {
		for {
			msg, err := s.Recv()
			if err == io.EOF {
				return
			}
			if !yield(msg, err) || err != nil {
				return
			}
		}
	}
}

// Header returns the response headers of the current connection.
func (s *Stream[T]) Header() http.Header { return s.ms.es.Header() }

// Trailer returns the trailers that the gateway sent with its "end" or
// "error" event, once Recv has returned io.EOF or an error; nil before.
func (s *Stream[T]) Trailer() metadata.MD { return s.ms.trailers() }

// LastEventID returns the stream's last event ID.
func (s *Stream[T]) LastEventID() string { return s.ms.es.LastEventID() }

// Restart drops the stream's connection and connects again at once with
// the last event ID, so that a server that resumes from it continues after
// the last message Recv returned. It may be called from any goroutine; a
// Recv that is waiting carries on with the new connection. It counts
// neither as a failure nor as a reconnection attempt. See
// [EventStream.Restart]; it returns [ErrClosed] once the stream has ended
// or been closed.
func (s *Stream[T]) Restart() error { return s.ms.es.Restart() }

// Close ends the stream and closes its connection, interrupting a Recv
// that is waiting, which then returns a Canceled status error. It always
// returns nil.
func (s *Stream[T]) Close() error { return s.ms.es.Close() }

// msgStream applies the gateway's conventions to an EventStream: terminal
// events, status errors and protojson decoding. It is shared by Stream and
// the streams of Conn.
type msgStream struct {
	es       *EventStream
	resolver typeResolver
	decoder  *pbjson.Decoder

	mu      sync.Mutex
	trailer metadata.MD

	err error // sticky, owned by the reading goroutine
}

// newMsgStream returns a msgStream that decodes the data of events as
// protojson, ignoring unknown fields, by the decoding plans kept in plans
// (see internal/pbjson).
func newMsgStream(es *EventStream, resolver typeResolver, plans *pbjson.DecodePlans) *msgStream {
	return &msgStream{
		es:       es,
		resolver: resolver,
		decoder:  pbjson.NewDecoder(protojson.UnmarshalOptions{DiscardUnknown: true, Resolver: resolver}, plans),
	}
}

// start makes the first connection; see EventStream.start.
func (m *msgStream) start() error {
	if err := m.es.start(); err != nil {
		m.err = toStatusError(err)
		m.es.Close()
		return m.err
	}
	return nil
}

// next returns the next event that carries a message.
func (m *msgStream) next() (sse.Event, error) {
	for m.err == nil {
		ev, err := m.es.Next()
		switch {
		case err == io.EOF && m.es.noContent:
			m.fail(io.EOF)
		case err == io.EOF:
			err = fmt.Errorf("%w: %s: the server closed the stream before its %q event", ErrConnectionLost, m.es.url, EndEvent)
			m.fail(&statusError{st: status.New(codes.Unavailable, err.Error()), cause: err})
		case err != nil:
			m.fail(toStatusError(err))
		case ev.Event == EndEvent:
			m.setTrailer(decodeEnd(ev.Data))
			m.fail(io.EOF)
		case ev.Event == ErrorEvent:
			err, trailers := errorEventStatus(ev.Data, m.resolver)
			m.setTrailer(trailers)
			m.fail(err)
		case len(ev.Data) > 0:
			return ev, nil
		}
	}
	return sse.Event{}, m.err
}

// decode decodes the data of ev into msg; a failure ends the stream.
func (m *msgStream) decode(ev sse.Event, msg proto.Message) error {
	if err := m.decoder.Unmarshal(ev.Data, msg); err != nil {
		name := ev.Event
		if name == "" {
			name = "message"
		}
		m.fail(status.Errorf(codes.Internal, "sseclient: decoding the data of a %q event as %s: %v", name, msg.ProtoReflect().Descriptor().FullName(), err))
		return m.err
	}
	return nil
}

// fail ends the stream with err and closes the connection.
func (m *msgStream) fail(err error) {
	m.err = err
	m.es.Close()
}

func (m *msgStream) setTrailer(md metadata.MD) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.trailer = md
}

func (m *msgStream) trailers() metadata.MD {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.trailer == nil {
		return nil
	}
	return m.trailer.Copy()
}
