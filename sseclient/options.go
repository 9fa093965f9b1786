package sseclient

import (
	"log/slog"
	"maps"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"

	"github.com/ssegw/ssegw/sse"
)

// Defaults of the options.
const (
	// DefaultReconnectionTime is the base delay before a reconnection
	// attempt when the server has not sent a retry field (Ktor's default).
	DefaultReconnectionTime = 3 * time.Second

	// DefaultMaxReconnectionDelay caps the exponential backoff between
	// reconnection attempts.
	DefaultMaxReconnectionDelay = 30 * time.Second

	// DefaultRequestParam is the query parameter that carries the whole
	// request message as protojson, as the gateway expects by default.
	DefaultRequestParam = "request"

	// DefaultMaxQueryRequestBytes is the size of the protojson request
	// above which a [Conn] prefers a method's POST route, when it has one,
	// to its GET route.
	DefaultMaxQueryRequestBytes = 2 << 10
)

// Option configures a [Client], a [Conn] or a single call. Options given to
// [New] or [NewConn] are the defaults of every stream; options given to a
// call ([Client.Events], [Client.Open], [Subscribe], or [PerCall] on a
// [Conn]) apply to that stream only and override the defaults.
type Option func(*config)

// config is the resolved configuration of a stream. It is copied for every
// call, so options that change maps or slices copy them first.
type config struct {
	addr       url.URL
	httpClient *http.Client
	method     string
	header     http.Header
	body       []byte
	hasBody    bool

	lastEventID        string
	maxAttempts        int
	reconnectionTime   time.Duration
	maxDelay           time.Duration
	readTimeout        time.Duration
	reconnectWithoutID bool

	commentEvents bool
	retryEvents   bool
	maxEventSize  int

	logger    *slog.Logger
	hooks     Hooks
	restarter *Restarter

	files           []protoreflect.FileDescriptor
	eventTypes      map[string]protoreflect.MessageType
	requestParam    string
	maxQueryRequest int
}

func defaultConfig() config {
	return config{
		httpClient:       http.DefaultClient,
		reconnectionTime: DefaultReconnectionTime,
		maxDelay:         DefaultMaxReconnectionDelay,
		maxEventSize:     sse.DefaultMaxEventSize,
		logger:           slog.New(slog.DiscardHandler),
		requestParam:     DefaultRequestParam,
		maxQueryRequest:  DefaultMaxQueryRequestBytes,
	}
}

// with returns a copy of c with opts applied.
func (c config) with(opts []Option) config {
	for _, opt := range opts {
		if opt != nil {
			opt(&c)
		}
	}
	return c
}

// WithScheme sets the scheme of the server address, "http" (the default)
// or "https".
func WithScheme(scheme string) Option {
	return func(c *config) { c.addr.Scheme = strings.ToLower(scheme) }
}

// WithHost sets the host name or IP address of the server, keeping the
// port.
func WithHost(host string) Option {
	return func(c *config) {
		host = strings.TrimSuffix(strings.TrimPrefix(host, "["), "]")
		if port := c.addr.Port(); port != "" {
			c.addr.Host = net.JoinHostPort(host, port)
		} else if strings.Contains(host, ":") {
			c.addr.Host = "[" + host + "]"
		} else {
			c.addr.Host = host
		}
	}
}

// WithPort sets the TCP port of the server; 0 selects the default port of
// the scheme.
func WithPort(port int) Option {
	return func(c *config) {
		host := c.addr.Hostname()
		switch {
		case port > 0:
			c.addr.Host = net.JoinHostPort(host, strconv.Itoa(port))
		case strings.Contains(host, ":"):
			c.addr.Host = "[" + host + "]"
		default:
			c.addr.Host = host
		}
	}
}

// WithPath sets the path of the server address. The target of a call is
// appended to it, so it serves as a prefix when the gateway is mounted
// below the root, and as the stream's path when the target is empty.
func WithPath(path string) Option {
	return func(c *config) {
		c.addr.Path, c.addr.RawPath = path, ""
	}
}

// WithHTTPClient sets the HTTP client that makes the requests (default
// [http.DefaultClient]). Its Timeout must be zero, or it ends every stream
// after that time; use [WithReadTimeout] to detect dead connections.
func WithHTTPClient(client *http.Client) Option {
	return func(c *config) {
		if client == nil {
			client = http.DefaultClient
		}
		c.httpClient = client
	}
}

// WithHeader adds a header to every request of the stream, including
// reconnections.
func WithHeader(key, value string) Option {
	return func(c *config) {
		c.header = c.header.Clone()
		if c.header == nil {
			c.header = http.Header{}
		}
		c.header.Add(key, value)
	}
}

// WithMethod sets the HTTP method of the requests. The default is GET, or
// POST when a body is set with [WithBody].
func WithMethod(method string) Option {
	return func(c *config) { c.method = method }
}

// WithBody sets the request body, which is sent again with every
// reconnection, and its content type (none when empty).
func WithBody(contentType string, body []byte) Option {
	return func(c *config) {
		c.body, c.hasBody = slices.Clone(body), true
		c.header = c.header.Clone()
		if c.header == nil {
			c.header = http.Header{}
		}
		if contentType != "" {
			c.header.Set("Content-Type", contentType)
		} else {
			c.header.Del("Content-Type")
		}
	}
}

// WithLastEventID sets the last event ID the stream starts from: it is sent
// in the Last-Event-ID header of the first request, so that a server that
// supports resumption continues after that event.
func WithLastEventID(id string) Option {
	return func(c *config) { c.lastEventID = id }
}

// WithMaxReconnectionAttempts sets how many times in a row the client tries
// to connect again after a connection fails or drops, before it gives up
// with an error wrapping [ErrMaxReconnectionAttempts]. As in Ktor, 0 (the
// default) disables reconnection; a negative n never gives up. Attempts
// are counted per outage: the count starts again once a connection has
// delivered an event, or has stayed open for the maximum reconnection
// delay (and at least a second).
func WithMaxReconnectionAttempts(n int) Option {
	return func(c *config) { c.maxAttempts = n }
}

// WithReconnectionTime sets the delay before the first reconnection attempt
// (default 3s), as Ktor's reconnectionTime. A retry field sent by the
// server replaces it. The delay doubles with every further failed attempt,
// up to [WithMaxReconnectionDelay], and up to a fifth of random jitter is
// added to it.
func WithReconnectionTime(d time.Duration) Option {
	return func(c *config) { c.reconnectionTime = max(d, 0) }
}

// WithMaxReconnectionDelay caps the backoff between reconnection attempts
// (default 30s). A retry field from the server that is larger than the cap
// raises the cap to its value; a Retry-After header is honoured up to the
// cap.
func WithMaxReconnectionDelay(d time.Duration) Option {
	return func(c *config) { c.maxDelay = max(d, 0) }
}

// WithReadTimeout makes the client drop a connection on which no bytes at
// all (no event, not even a heartbeat comment) arrived for d, and
// reconnect according to the reconnection options. The timer also bounds
// the wait for the response headers. Zero (the default) disables it; with
// the gateway, which sends a heartbeat every 15s by default, a value of
// 30s to 45s detects dead connections that TCP would not notice.
func WithReadTimeout(d time.Duration) Option {
	return func(c *config) { c.readTimeout = max(d, 0) }
}

// WithReconnectWithoutID lets a stream reconnect after it has delivered
// events although no event carried an id, so that no Last-Event-ID can be
// sent. The server then starts the stream again from its beginning and
// events may repeat, as with a browser's EventSource. By default such a
// stream is not reconnected: the drop is reported instead.
func WithReconnectWithoutID() Option {
	return func(c *config) { c.reconnectWithoutID = true }
}

// WithCommentEvents makes the raw event iterator and [EventStream.Next]
// also return comments, such as heartbeats (Ktor's showCommentEvents):
// each comment line as soon as it has been read, as an event with only
// Comment and ID set, in order with the events around it, wherever it
// occurs (between events, or inside the block of an event, whose data it
// does not change). Typed streams never return them; [Hooks] OnComment
// sees them on every stream.
func WithCommentEvents() Option {
	return func(c *config) { c.commentEvents = true }
}

// WithRetryEvents makes the raw event iterator also yield blocks that carry
// only a retry field (Ktor's showRetryEvents). Typed streams never return
// them.
func WithRetryEvents() Option {
	return func(c *config) { c.retryEvents = true }
}

// WithMaxEventSize limits the size of a single event (default
// [sse.DefaultMaxEventSize], 8 MiB). A larger event ends the stream with an
// error wrapping [sse.ErrEventTooLarge]; typed streams report it as
// codes.ResourceExhausted. A [Conn] also honours grpc.MaxCallRecvMsgSize.
func WithMaxEventSize(n int) Option {
	return func(c *config) {
		if n <= 0 {
			n = sse.DefaultMaxEventSize
		}
		c.maxEventSize = n
	}
}

// WithLogger logs connections (Debug), reconnections (Info) and give-ups
// (Warn) to l (default: no logging).
func WithLogger(l *slog.Logger) Option {
	return func(c *config) {
		if l == nil {
			l = slog.New(slog.DiscardHandler)
		}
		c.logger = l
	}
}

// WithHooks sets functions called on connections, reconnections and
// give-ups, for metrics or tests.
func WithHooks(h Hooks) Option {
	return func(c *config) { c.hooks = h }
}

// WithRestarter lets r restart the stream (see [Restarter]). Given to
// [New] or [NewConn], it applies to every stream of the client; passed to
// one call ([Client.Events], or [PerCall] on a [Conn]), to that stream.
func WithRestarter(r *Restarter) Option {
	return func(c *config) { c.restarter = r }
}

// WithEventType makes typed streams decode the data of events named name as
// messages of the type of m, for streams that carry several types. A
// [Stream] whose type parameter is an interface such as proto.Message needs
// one for every event it should return; events with other names are
// skipped. The empty name stands for unnamed events.
func WithEventType(name string, m proto.Message) Option {
	return func(c *config) {
		c.eventTypes = maps.Clone(c.eventTypes)
		if c.eventTypes == nil {
			c.eventTypes = map[string]protoreflect.MessageType{}
		}
		c.eventTypes[name] = m.ProtoReflect().Type()
	}
}

// WithFiles adds file descriptors in which a [Conn] looks up methods (for
// their google.api.http rules) and typed streams look up the types of Any
// values and error details, before the global registries. Descriptors
// compiled into the program need no option.
func WithFiles(files ...protoreflect.FileDescriptor) Option {
	return func(c *config) { c.files = append(slices.Clip(c.files), files...) }
}

// WithRequestParam names the query parameter in which a [Conn] sends the
// whole request message as protojson (default "request"), matching the
// gateway's option of the same name.
func WithRequestParam(name string) Option {
	return func(c *config) { c.requestParam = name }
}

// WithMaxQueryRequestBytes sets the size of the protojson request above
// which a [Conn] uses a method's POST route instead of its GET route, when
// it has both (default 2 KiB), keeping URLs short enough for proxies.
func WithMaxQueryRequestBytes(n int) Option {
	return func(c *config) { c.maxQueryRequest = n }
}
