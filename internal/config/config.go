// Package config is the configuration of the gateway command: its
// structure and defaults, and how it is read from a YAML file, from
// SSEGW_… environment variables and from flags, with flags over the
// environment over the file over the defaults, and validated with errors
// that name the key.
package config

import (
	"log/slog"
	"time"
)

// Config is the whole configuration of the gateway command. Its YAML keys
// are the field tags; docs/operations.md describes each.
type Config struct {
	Listen      string    `yaml:"listen"`
	AdminListen string    `yaml:"admin_listen"`
	H2C         bool      `yaml:"h2c"`
	Demo        bool      `yaml:"demo"`
	TLS         ServerTLS `yaml:"tls"`
	Log         Log       `yaml:"log"`
	Metrics     Metrics   `yaml:"metrics"`
	Tracing     Tracing   `yaml:"tracing"`
	Drain       Drain     `yaml:"drain"`
	Limits      Limits    `yaml:"limits"`
	Streams     Streams   `yaml:"streams"`
	Unary       Unary     `yaml:"unary"`
	Browser     Browser   `yaml:"browser"`
	OpenAPI     OpenAPI   `yaml:"openapi"`
	Backends    []Backend `yaml:"backends"`
}

// ServerTLS is the TLS of the listener. Both files are read again when
// they change, so that a renewed certificate is served without a restart.
type ServerTLS struct {
	CertFile string `yaml:"cert_file"`
	KeyFile  string `yaml:"key_file"`
}

// Log is where and how the command logs.
type Log struct {
	Level  slog.Level `yaml:"level"`
	Format string     `yaml:"format"`
	Access bool       `yaml:"access"`
}

// Metrics configures the Prometheus endpoint, /metrics.
type Metrics struct {
	Enabled bool `yaml:"enabled"`
}

// Tracing configures the OpenTelemetry exporter.
type Tracing struct {
	Exporter    string  `yaml:"exporter"`
	Endpoint    string  `yaml:"endpoint"`
	Insecure    bool    `yaml:"insecure"`
	SampleRatio float64 `yaml:"sample_ratio"`
	ServiceName string  `yaml:"service_name"`
}

// Drain configures the graceful shutdown on SIGTERM.
type Drain struct {
	Timeout time.Duration `yaml:"timeout"`
	Delay   time.Duration `yaml:"delay"`
	Retry   time.Duration `yaml:"retry"`
}

// Limits bound what one gateway process takes on.
type Limits struct {
	MaxStreams          int           `yaml:"max_streams"`
	MaxStreamsPerClient int           `yaml:"max_streams_per_client"`
	MaxRequestBytes     int64         `yaml:"max_request_bytes"`
	MaxHeaderBytes      int           `yaml:"max_header_bytes"`
	WriteTimeout        time.Duration `yaml:"write_timeout"`
	MaxStreamLifetime   time.Duration `yaml:"max_stream_lifetime"`
	RetryAfter          time.Duration `yaml:"retry_after"`
	ReadHeaderTimeout   time.Duration `yaml:"read_header_timeout"`
	BodyReadTimeout     time.Duration `yaml:"body_read_timeout"`
	MaxBodyBufferBytes  int64         `yaml:"max_body_buffer_bytes"`
	TrustedProxies      []string      `yaml:"trusted_proxies"`
}

// Streams are the stream settings of every backend.
type Streams struct {
	Heartbeat       time.Duration `yaml:"heartbeat"`
	HeartbeatEvent  string        `yaml:"heartbeat_event"`
	Retry           time.Duration `yaml:"retry"`
	HeaderTimeout   time.Duration `yaml:"header_timeout"`
	ForwardHeaders  []string      `yaml:"forward_headers"`
	ForwardMetadata []string      `yaml:"forward_metadata"`
}

// Unary are the settings of unary methods, served as JSON.
type Unary struct {
	Enabled bool          `yaml:"enabled"`
	Timeout time.Duration `yaml:"timeout"`
}

// Browser holds the settings for pages that open streams: CORS, cookies,
// access tokens in the query and compression.
type Browser struct {
	CORSOrigins        []string      `yaml:"cors_origins"`
	CORSCredentials    bool          `yaml:"cors_credentials"`
	CORSHeaders        []string      `yaml:"cors_headers"`
	CORSExposedHeaders []string      `yaml:"cors_exposed_headers"`
	CORSMaxAge         time.Duration `yaml:"cors_max_age"`
	ForwardCookies     []string      `yaml:"forward_cookies"`
	AccessTokenParam   string        `yaml:"access_token_param"`
	Compression        bool          `yaml:"compression"`
	UnknownQueryParams bool          `yaml:"allow_unknown_query_params"`
}

// OpenAPI configures the OpenAPI 3.2 description of the routes,
// /openapi.json.
type OpenAPI struct {
	// Enabled serves it beside /healthz and /metrics: on the admin
	// listener, or on the main one without an admin listener.
	Enabled bool `yaml:"enabled"`
	// OnListen serves it on the main listener as well, when there is an
	// admin listener.
	OnListen bool   `yaml:"on_listen"`
	Title    string `yaml:"title"`
	Version  string `yaml:"version"`
	// Servers are the API's base URLs (default: the listen address).
	Servers []string `yaml:"servers"`
}

// Backend is one gRPC backend whose server-streaming (and unary) methods
// are served.
type Backend struct {
	Name             string            `yaml:"name"`
	Target           string            `yaml:"target"`
	DescriptorSet    string            `yaml:"descriptor_set"`
	ProtoFiles       []string          `yaml:"proto_files"`
	ProtoPaths       []string          `yaml:"proto_paths"`
	Services         []string          `yaml:"services"`
	Plaintext        bool              `yaml:"plaintext"`
	TLS              BackendTLS        `yaml:"tls"`
	HealthService    string            `yaml:"health_service"`
	DiscoveryTimeout time.Duration     `yaml:"discovery_timeout"`
	Keepalive        Keepalive         `yaml:"keepalive"`
	Methods          map[string]Method `yaml:"methods"`
}

// Reflection reports whether the backend's descriptors come from server
// reflection: neither a descriptor set nor .proto files are given.
func (b Backend) Reflection() bool {
	return b.DescriptorSet == "" && len(b.ProtoFiles) == 0
}

// Keepalive is gRPC keepalive on the connection to a backend: after Time
// without reading anything on a connection with open calls, the gateway
// pings the backend, and closes the connection (failing its calls with
// UNAVAILABLE) when no answer comes within Timeout. It notices a backend
// that froze or whose network went away. A stock gRPC server refuses
// pings more frequent than every 5 minutes, the default Time. Zero Time
// turns keepalive off.
type Keepalive struct {
	Time    time.Duration `yaml:"time"`
	Timeout time.Duration `yaml:"timeout"`
}

// BackendTLS is the TLS, or mutual TLS, of the connection to a backend.
// It is on when Enabled is set or when any file is given; the client
// certificate and key are read again when they change.
type BackendTLS struct {
	Enabled    bool   `yaml:"enabled"`
	CAFile     string `yaml:"ca_file"`
	CertFile   string `yaml:"cert_file"`
	KeyFile    string `yaml:"key_file"`
	ServerName string `yaml:"server_name"`
}

// On reports whether the backend is reached over TLS.
func (t BackendTLS) On() bool {
	return t.Enabled || t.CAFile != "" || t.CertFile != "" || t.KeyFile != "" || t.ServerName != ""
}

// Method overrides how one method, keyed by its full name
// ("pkg.Service.Method"), is served: its routes, and for a stream its
// events. Put, Delete and Patch are for unary methods, as is
// ResponseBody.
type Method struct {
	Get            string        `yaml:"get"`
	Post           string        `yaml:"post"`
	Put            string        `yaml:"put"`
	Delete         string        `yaml:"delete"`
	Patch          string        `yaml:"patch"`
	Body           string        `yaml:"body"`
	ResponseBody   string        `yaml:"response_body"`
	Event          string        `yaml:"event"`
	IDField        string        `yaml:"id_field"`
	ResumeField    string        `yaml:"resume_field"`
	Heartbeat      time.Duration `yaml:"heartbeat"`
	HeartbeatEvent string        `yaml:"heartbeat_event"`
	MaxMessageGap  time.Duration `yaml:"max_message_gap"`
	// Share, when given (share: {} for the defaults), makes requests for
	// the same stream share one backend call.
	Share *Share `yaml:"share"`
	// Shape takes the events' names and data from the response message.
	Shape *Shape `yaml:"shape"`
}

// Shape says how a method's events are shaped, as the shape field of the
// ssegw.v1.stream option does: names from a oneof's case or a field, the
// data from a field, and a sentinel in place of the end event.
type Shape struct {
	EventOneof    string `yaml:"event_oneof"`
	EventField    string `yaml:"event_field"`
	DataField     string `yaml:"data_field"`
	Sentinel      string `yaml:"sentinel"`
	SentinelEvent string `yaml:"sentinel_event"`
}

// Share says how a method's streams are shared, as the share field of
// the ssegw.v1.stream option does; unset values are the gateway's
// defaults.
type Share struct {
	Public       bool           `yaml:"public"`
	ReplayEvents *int           `yaml:"replay_events"`
	ReplayAge    time.Duration  `yaml:"replay_age"`
	Linger       *time.Duration `yaml:"linger"`
	QueueEvents  int            `yaml:"queue_events"`
	QueueBytes   int            `yaml:"queue_bytes"`
}

// Default returns the configuration used for every key that is not set.
func Default() Config {
	return Config{
		Listen: "localhost:8080",
		H2C:    true,
		Log:    Log{Level: slog.LevelInfo, Format: "text", Access: true},
		Metrics: Metrics{
			Enabled: true,
		},
		Tracing: Tracing{Exporter: "none", SampleRatio: 1, ServiceName: "ssegw"},
		OpenAPI: OpenAPI{Enabled: true},
		Drain:   Drain{Timeout: 20 * time.Second, Retry: time.Second},
		Limits: Limits{
			MaxStreams:        10_000,
			MaxRequestBytes:   1 << 20,
			MaxHeaderBytes:    64 << 10,
			WriteTimeout:      30 * time.Second,
			RetryAfter:        2 * time.Second,
			ReadHeaderTimeout: 10 * time.Second,
			// Request bodies.
			BodyReadTimeout:    10 * time.Second,
			MaxBodyBufferBytes: 32 << 20,
		},
		Streams: Streams{
			Heartbeat:      15 * time.Second,
			Retry:          2 * time.Second,
			HeaderTimeout:  time.Second,
			ForwardHeaders: []string{"Authorization"},
		},
		Unary: Unary{Enabled: true},
	}
}

// defaults sets the defaults of a backend listed in a file or created by a
// flag.
func (b *Backend) defaults() {
	b.DiscoveryTimeout = time.Minute
	b.Keepalive = DefaultKeepalive()
}

// DefaultKeepalive returns the keepalive of a backend connection unless
// configured: pings no more frequent than a stock grpc-go server accepts
// (its enforcement policy's MinTime is 5 minutes, and it closes the
// connection with "too_many_pings" after a few pings closer together),
// and only while calls are open, which such a server also requires.
func DefaultKeepalive() Keepalive {
	return Keepalive{Time: 5 * time.Minute, Timeout: 20 * time.Second}
}
