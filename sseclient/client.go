package sseclient

import (
	"context"
	"io"
	"iter"

	"github.com/ssegw/ssegw/internal/pbjson"
	"github.com/ssegw/ssegw/sse"
)

// Client subscribes to Server-Sent Events streams over HTTP. It holds the
// server address and the default options of its streams. A Client is safe
// for concurrent use; it owns no goroutines and needs no closing.
type Client struct {
	cfg   config
	plans *pbjson.DecodePlans // how to decode each message type, compiled once
}

// New returns a Client for the server at baseURL, such as
// "http://127.0.0.1:8080" or "https://api.example.com/sse" (a path is a
// prefix of every stream's path). baseURL may be empty when the address is
// given by parts with [WithScheme], [WithHost], [WithPort] and [WithPath],
// or when every call names a full URL. The options are the defaults of
// every stream the Client opens.
func New(baseURL string, opts ...Option) (*Client, error) {
	cfg, err := newConfig(baseURL, opts)
	if err != nil {
		return nil, err
	}
	return &Client{cfg: cfg, plans: pbjson.NewDecodePlans()}, nil
}

// newConfig applies opts to the defaults and the parsed base URL.
func newConfig(baseURL string, opts []Option) (config, error) {
	addr, err := parseAddress(baseURL)
	if err != nil {
		return config{}, err
	}
	cfg := defaultConfig()
	cfg.addr = addr
	cfg = cfg.with(opts)
	if err := checkAddress(cfg.addr); err != nil {
		return config{}, err
	}
	return cfg, nil
}

// Events returns the events of the stream at target as an iterator. target
// is a full URL, or a path (with an optional query) below the client's
// address; opts override the client's options for this stream.
//
// The request is made when the iteration starts, and the connection is
// closed when it stops, when ctx is done, or when the stream ends.
// Reconnections follow the reconnection options and are invisible to the
// loop. Comments are not yielded unless [WithCommentEvents] asks for them
// (each comment line as soon as it has been read), nor retry-only blocks
// unless [WithRetryEvents] does. Each event's ID is the stream's last
// event ID at that point. A [Restarter] given with [WithRestarter]
// restarts the stream on demand.
//
// The iteration ends without an error when the server answers 204 No
// Content, when it closes the stream after an "end" or "error" event (the
// gateway's terminal events, which are yielded like any other), or when it
// closes the stream and no reconnection follows. Any other failure is
// yielded once as the error of the last pair: a [*ResponseError] for a
// response that is not an event stream, an error wrapping
// [sse.ErrEventTooLarge], [ErrConnectionLost], [ErrReadTimeout] or
// [ErrMaxReconnectionAttempts], or ctx's error.
func (c *Client) Events(ctx context.Context, target string, opts ...Option) iter.Seq2[sse.Event, error] {
	return func(yield func(sse.Event, error) bool) {
		s, err := c.stream(ctx, target, opts)
		if err != nil {
			yield(sse.Event{}, err)
			return
		}
		defer s.Close()
		for {
			ev, err := s.Next()
			if err == io.EOF {
				return
			}
			if !yield(ev, err) || err != nil {
				return
			}
		}
	}
}

// Open connects to the stream at target and returns it once the server has
// accepted the request, so that failures to connect (after the retries the
// reconnection options allow) are returned here, and the response headers
// are available. target and opts are as for [Client.Events]. The caller
// must Close the stream, or cancel ctx, when done with it.
func (c *Client) Open(ctx context.Context, target string, opts ...Option) (*EventStream, error) {
	s, err := c.stream(ctx, target, opts)
	if err != nil {
		return nil, err
	}
	if err := s.start(); err != nil {
		s.Close()
		return nil, err
	}
	return s, nil
}

// stream prepares a stream without connecting.
func (c *Client) stream(ctx context.Context, target string, opts []Option) (*EventStream, error) {
	cfg := c.cfg.with(opts)
	return newEventStream(ctx, cfg, target, newResolver(cfg.files))
}
