package config

import (
	"bytes"
	"encoding"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"reflect"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"go.yaml.in/yaml/v3"
)

// EnvPrefix starts the name of every environment variable of the command.
const EnvPrefix = "SSEGW_"

// ConfigFileEnv names the environment variable that gives the config file
// when --config does not.
const ConfigFileEnv = EnvPrefix + "CONFIG"

// Setting is one configuration key that can be given as a flag and an
// environment variable as well as in the file.
type Setting struct {
	// Flag is the flag's name, without dashes.
	Flag string
	// Key is the YAML key, as a dotted path ("limits.max_streams",
	// "backends[0].target").
	Key string
	// Usage describes the setting; a word in backquotes names its value.
	Usage string
}

// Env returns the setting's environment variable: SSEGW_ and the flag's
// name in upper case with underscores.
func (s Setting) Env() string {
	return EnvPrefix + strings.ToUpper(strings.ReplaceAll(s.Flag, "-", "_"))
}

// Settings returns the keys that have flags and environment variables.
// Lists take comma-separated values, and a repeated flag adds to the list.
func Settings() []Setting {
	return []Setting{
		{"listen", "listen", "HTTP listen `address`"},
		{"admin-listen", "admin_listen", "separate listen `address` for /healthz, /readyz and /metrics (default: served on --listen)"},
		{"h2c", "h2c", "serve HTTP/2 without TLS (prior knowledge) besides HTTP/1.1"},
		{"demo", "demo", "start the demo backend in-process and serve it with a demo page at /"},
		{"tls-cert", "tls.cert_file", "TLS certificate `file` (PEM) of the listener; reloaded when it changes"},
		{"tls-key", "tls.key_file", "TLS private key `file` (PEM) of the listener; reloaded when it changes"},
		{"log-level", "log.level", "log `level`: debug, info, warn or error"},
		{"log-format", "log.format", "log `format`: text or json"},
		{"access-log", "log.access", "log one line per stream when it ends"},
		{"metrics", "metrics.enabled", "serve Prometheus metrics at /metrics"},
		{"trace-exporter", "tracing.exporter", "OpenTelemetry span `exporter`: none or otlp (OTLP over gRPC)"},
		{"trace-endpoint", "tracing.endpoint", "OTLP gRPC endpoint `URL` (default: OTEL_EXPORTER_OTLP_ENDPOINT or localhost:4317)"},
		{"trace-insecure", "tracing.insecure", "send spans to the OTLP endpoint without TLS"},
		{"trace-sample-ratio", "tracing.sample_ratio", "`fraction` of new traces sampled (requests with a sampled traceparent are always sampled)"},
		{"trace-service-name", "tracing.service_name", "service.name of the spans, a `name` (OTEL_SERVICE_NAME wins)"},
		{"drain-timeout", "drain.timeout", "on SIGTERM, how long (a `duration`) to wait for streams to end before exiting"},
		{"drain-delay", "drain.delay", "on SIGTERM, how long (a `duration`) to keep serving with /readyz failing before the drain"},
		{"drain-retry", "drain.retry", "reconnection `delay` told to drained and rotated streams (jittered between half and 1.5 times)"},
		{"max-streams", "limits.max_streams", "maximum concurrent streams, a `number` (0: no limit); more get 503"},
		{"max-streams-per-client", "limits.max_streams_per_client", "maximum concurrent streams per client address, a `number` (0: no limit); more get 429"},
		{"max-request-bytes", "limits.max_request_bytes", "maximum size of a request body or request query parameter, in `bytes` (the parameter, in the URL, is bounded first by max_header_bytes)"},
		{"max-header-bytes", "limits.max_header_bytes", "maximum size of the request line (URL and query) and headers, in `bytes`"},
		{"body-read-timeout", "limits.body_read_timeout", "time (a `duration`) allowed to read a request body; a slower one gets 408"},
		{"max-body-buffer-bytes", "limits.max_body_buffer_bytes", "memory, in `bytes`, that request bodies being read may hold together, beyond 4 KiB each; a body over it gets 503"},
		{"write-timeout", "limits.write_timeout", "deadline (a `duration`) of each write to a client; a slower client is disconnected (0: none)"},
		{"max-stream-lifetime", "limits.max_stream_lifetime", "streams are told to reconnect after at most this `duration` (0: no limit)"},
		{"retry-after", "limits.retry_after", "Retry-After `duration` of 429 and 503 answers"},
		{"read-header-timeout", "limits.read_header_timeout", "time (a `duration`) allowed to read request headers"},
		{"trusted-proxy", "limits.trusted_proxies", "`CIDR` of a proxy whose X-Forwarded-For, X-Forwarded-Proto and Forwarded are trusted (repeat or separate with commas)"},
		{"heartbeat", "streams.heartbeat", "idle `period` after which a heartbeat comment is sent (0 disables)"},
		{"heartbeat-event", "streams.heartbeat_event", "send heartbeats as events of this `name` instead of comments"},
		{"retry", "streams.retry", "reconnection `delay` announced to clients with retry: (0 sends none)"},
		{"header-timeout", "streams.header_timeout", "how long (a `duration`) to wait for the backend's response headers before starting the stream"},
		{"forward-header", "streams.forward_headers", "request `header` forwarded to the backend as metadata (repeat or separate with commas)"},
		{"forward-metadata", "streams.forward_metadata", "backend header/trailer metadata `key` passed to clients (repeat or separate with commas)"},
		{"unary", "unary.enabled", "serve unary methods as JSON besides the streams"},
		{"unary-timeout", "unary.timeout", "longest a unary call may take, a `duration` that a Grpc-Timeout header can shorten (0: no limit of the gateway's own)"},
		{"cors-origin", "browser.cors_origins", "`origin` allowed to open streams from a page (repeat or separate with commas; * for any)"},
		{"cors-credentials", "browser.cors_credentials", "allow cross-origin pages to send cookies and HTTP authentication"},
		{"forward-cookie", "browser.forward_cookies", "`cookie` forwarded to the backend as metadata (repeat or separate with commas)"},
		{"access-token-param", "browser.access_token_param", "query `parameter` whose value is forwarded as authorization: Bearer …"},
		{"compress", "browser.compression", "gzip streams for clients that accept it"},
		{"openapi", "openapi.enabled", "serve the OpenAPI 3.2 description of the routes at /openapi.json beside /healthz and /metrics"},
		{"openapi-on-listen", "openapi.on_listen", "serve /openapi.json on --listen too when --admin-listen is set"},
		{"openapi-server", "openapi.servers", "base `URL` of the API in the OpenAPI description (repeat or separate with commas; default: the listen address)"},
		{"backend", "backends[0].target", "gRPC backend dial `target`, e.g. localhost:9090 or dns:///svc:9090"},
		{"backend-name", "backends[0].name", "`name` of the backend in metrics and logs"},
		{"descriptor-set", "backends[0].descriptor_set", "read service descriptors from this FileDescriptorSet `file` (buf build -o) instead of server reflection"},
		{"proto", "backends[0].proto_files", "compile service descriptors at start from this .proto `file`, named as it is imported (relative to a --proto-path), instead of server reflection (repeat or separate with commas)"},
		{"proto-path", "backends[0].proto_paths", "`directory` where --proto files and their imports are found, in order (repeat or separate with commas; default: the current directory)"},
		{"service", "backends[0].services", "serve only this `service` (full name; repeat or separate with commas; default: all)"},
		{"backend-plaintext", "backends[0].plaintext", "allow plaintext to a backend that is not on a loopback address"},
		{"backend-tls", "backends[0].tls.enabled", "connect to the backend with TLS, verified with the system's roots"},
		{"backend-ca", "backends[0].tls.ca_file", "CA certificate `file` (PEM) that verifies the backend; turns TLS on"},
		{"backend-cert", "backends[0].tls.cert_file", "client certificate `file` (PEM) for mutual TLS with the backend"},
		{"backend-key", "backends[0].tls.key_file", "client private key `file` (PEM) for mutual TLS with the backend"},
		{"backend-server-name", "backends[0].tls.server_name", "`name` the backend's certificate must have (default: the target's host)"},
		{"backend-health-service", "backends[0].health_service", "`service` asked for with grpc.health.v1 by /readyz (default: the server as a whole)"},
		{"discovery-timeout", "backends[0].discovery_timeout", "how long (a `duration`) to keep trying to find the backend's services at start"},
		{"backend-keepalive-time", "backends[0].keepalive.time", "gRPC keepalive: ping the backend after this `duration` without reading from it while calls are open (0: no keepalive; at least 10s; a stock gRPC server refuses less than 5m)"},
		{"backend-keepalive-timeout", "backends[0].keepalive.timeout", "gRPC keepalive: close the backend connection, failing its calls with UNAVAILABLE, when a ping is not answered within this `duration`"},
	}
}

// Loader reads the configuration: the defaults, then the YAML file, then
// the environment, then the flags.
type Loader struct {
	file    string
	given   []given           // flags, in the order given
	origins map[string]string // of the last Load: key → where it was set
}

// given is one flag as given on the command line.
type given struct {
	s     Setting
	value string
}

// NewLoader registers --config and the flags of every setting on fs. Call
// Load after fs.Parse.
func NewLoader(fs *flag.FlagSet) *Loader {
	l := &Loader{}
	fs.StringVar(&l.file, "config", "", "YAML configuration `file` (or "+ConfigFileEnv+")")
	def := Default()
	for _, s := range Settings() {
		// grow: a backend flag's kind and default are those of a new backend.
		f, err := field(reflect.ValueOf(&def).Elem(), s.Key, true)
		record := func(v string) error {
			l.given = append(l.given, given{s, v})
			return nil
		}
		usage := s.Usage + " [" + s.Env() + "]"
		switch {
		case err == nil && f.Kind() == reflect.Bool:
			if f.Bool() {
				usage += " (default true; --" + s.Flag + "=false turns it off)"
			}
			fs.BoolFunc(s.Flag, usage, record)
		default:
			if err == nil && !f.IsZero() {
				usage += fmt.Sprintf(" (default %s)", format(f))
			}
			fs.Func(s.Flag, usage, record)
		}
	}
	return l
}

// Load returns the configuration from the defaults, the file (--config or
// SSEGW_CONFIG), the environment (looked up with lookupEnv) and the
// flags, validated.
func (l *Loader) Load(lookupEnv func(string) (string, bool)) (*Config, error) {
	c := &loaded{cfg: Default(), origins: map[string]string{}}
	path := l.file
	if path == "" {
		path, _ = lookupEnv(ConfigFileEnv)
	}
	if path != "" {
		if err := c.readFile(path); err != nil {
			return nil, err
		}
	}
	for _, s := range Settings() {
		if v, ok := lookupEnv(s.Env()); ok {
			if err := c.set(s, v, "environment variable "+s.Env(), false); err != nil {
				return nil, err
			}
		}
	}
	seen := map[string]bool{}
	for _, g := range l.given {
		if err := c.set(g.s, g.value, "flag --"+g.s.Flag, seen[g.s.Key]); err != nil {
			return nil, err
		}
		seen[g.s.Key] = true
	}
	l.origins = c.origins
	if err := c.validate(); err != nil {
		return nil, err
	}
	return &c.cfg, nil
}

// Origin says where the last Load found the value of key ("flag
// --cors-origin", "file gateway.yaml line 3", …), or of the first key
// under it, or "default", for errors about keys found after loading.
func (l *Loader) Origin(key string) string {
	if o, ok := l.origins[key]; ok {
		return o
	}
	for _, k := range sortedKeys(l.origins) {
		if strings.HasPrefix(k, key+".") || strings.HasPrefix(k, key+"[") {
			return l.origins[k]
		}
	}
	return "default"
}

// loaded is a configuration being read, with where each key came from.
type loaded struct {
	cfg     Config
	origins map[string]string // key → "file x.yaml line 3", "flag --x", …
	file    string
	values  int // YAML nodes decoded so far
}

// origin describes where key was set, for error messages.
func (c *loaded) origin(key string) string {
	if o, ok := c.origins[key]; ok {
		return o
	}
	return "default"
}

// errorf returns an error about key, naming where it was set.
func (c *loaded) errorf(key, format string, args ...any) error {
	return fmt.Errorf("config: %s (%s): %s", key, c.origin(key), fmt.Sprintf(format, args...))
}

// MaxFileBytes bounds the size of a configuration file.
const MaxFileBytes = 1 << 20

func (c *loaded) readFile(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("config: %w", err)
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, MaxFileBytes+1))
	if err != nil {
		return fmt.Errorf("config: %w", err)
	}
	if len(data) > MaxFileBytes {
		return fmt.Errorf("config: %s: larger than %d bytes", path, MaxFileBytes)
	}
	return c.parse(path, data)
}

// parse reads the YAML document data, the contents of the file path.
func (c *loaded) parse(path string, data []byte) error {
	c.file = path
	var doc yaml.Node
	dec := yaml.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			return nil // an empty file
		}
		return fmt.Errorf("config: %s: %w", path, err)
	}
	return c.decode("", &doc, reflect.ValueOf(&c.cfg).Elem())
}

// maxValues bounds the YAML nodes a file may decode to once its aliases
// are expanded, so that a small file of aliases to aliases cannot take
// the process's time or memory.
const maxValues = 100_000

// decode sets v from the YAML node n found at key.
func (c *loaded) decode(key string, n *yaml.Node, v reflect.Value) error {
	if c.values++; c.values > maxValues {
		return fmt.Errorf("config: %s: more than %d values once its aliases are expanded", c.file, maxValues)
	}
	switch n.Kind {
	case yaml.DocumentNode:
		if len(n.Content) == 0 {
			return nil
		}
		return c.decode(key, n.Content[0], v)
	case yaml.AliasNode:
		return c.decode(key, n.Alias, v)
	}
	where := fmt.Sprintf("file %s line %d", c.file, n.Line)
	fail := func(format string, args ...any) error {
		return fmt.Errorf("config: %s (%s): %s", displayKey(key), where, fmt.Sprintf(format, args...))
	}
	if n.Kind == yaml.ScalarNode && n.Tag == "!!null" {
		v.SetZero()
		c.origins[key] = where
		return nil
	}
	switch {
	case v.Kind() == reflect.Pointer:
		if v.IsNil() {
			v.Set(reflect.New(v.Type().Elem()))
		}
		return c.decode(key, n, v.Elem())
	case v.Kind() == reflect.Struct && v.Type() != reflect.TypeFor[time.Duration]():
		if n.Kind != yaml.MappingNode {
			return fail("must be a mapping of keys to values")
		}
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, val := n.Content[i], n.Content[i+1]
			f, ok := fieldByTag(v, k.Value)
			if !ok {
				return fmt.Errorf("config: %s (file %s line %d): unknown key; known keys here: %s",
					join(key, k.Value), c.file, k.Line, strings.Join(tags(v.Type()), ", "))
			}
			if err := c.decode(join(key, k.Value), val, f); err != nil {
				return err
			}
		}
		return nil
	case v.Kind() == reflect.Map:
		if n.Kind != yaml.MappingNode {
			return fail("must be a mapping")
		}
		if v.IsNil() {
			v.Set(reflect.MakeMap(v.Type()))
		}
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, val := n.Content[i], n.Content[i+1]
			elem := reflect.New(v.Type().Elem()).Elem()
			if err := c.decode(key+"["+k.Value+"]", val, elem); err != nil {
				return err
			}
			v.SetMapIndex(reflect.ValueOf(k.Value), elem)
		}
		return nil
	case v.Kind() == reflect.Slice && v.Type().Elem().Kind() == reflect.Struct:
		if n.Kind != yaml.SequenceNode {
			return fail("must be a list")
		}
		v.Set(reflect.MakeSlice(v.Type(), len(n.Content), len(n.Content)))
		for i, item := range n.Content {
			elem := v.Index(i)
			if d, ok := elem.Addr().Interface().(interface{ defaults() }); ok {
				d.defaults()
			}
			if err := c.decode(fmt.Sprintf("%s[%d]", key, i), item, elem); err != nil {
				return err
			}
		}
		c.origins[key] = where
		return nil
	case v.Kind() == reflect.Slice:
		var values []string
		switch n.Kind {
		case yaml.SequenceNode:
			for _, item := range n.Content {
				if item.Kind != yaml.ScalarNode {
					return fail("must be a list of strings")
				}
				values = append(values, item.Value)
			}
		case yaml.ScalarNode:
			values = splitList(n.Value)
		default:
			return fail("must be a list of strings")
		}
		v.Set(reflect.ValueOf(values))
		c.origins[key] = where
		return nil
	}
	if n.Kind != yaml.ScalarNode {
		return fail("must be a single value")
	}
	if err := setScalar(v, n.Value); err != nil {
		return fail("%v", err)
	}
	c.origins[key] = where
	return nil
}

// set applies a setting given as text by an environment variable or a
// flag. A list is replaced, or added to when add is set.
func (c *loaded) set(s Setting, value, origin string, add bool) error {
	root := reflect.ValueOf(&c.cfg).Elem()
	if strings.HasPrefix(s.Key, "backends[0]") && len(c.cfg.Backends) > 1 {
		return fmt.Errorf("config: %s: sets %s, but the configuration lists %d backends; configure them in the file", origin, s.Key, len(c.cfg.Backends))
	}
	if !utf8.ValidString(value) {
		return fmt.Errorf("config: %s (%s): not valid UTF-8", s.Key, origin)
	}
	f, err := field(root, s.Key, true)
	if err != nil {
		return fmt.Errorf("config: %s: %w", origin, err)
	}
	c.origins[s.Key] = origin
	if f.Kind() == reflect.Slice {
		values := splitList(value)
		if add {
			values = append(f.Interface().([]string), values...)
		}
		f.Set(reflect.ValueOf(values))
		return nil
	}
	if err := setScalar(f, value); err != nil {
		return fmt.Errorf("config: %s (%s): %w", s.Key, origin, err)
	}
	return nil
}

// field finds the value at a dotted key with list indexes. With grow, a
// list too short for the index is extended with defaults.
func field(v reflect.Value, key string, grow bool) (reflect.Value, error) {
	for part := range strings.SplitSeq(key, ".") {
		name, index := part, -1
		if i := strings.IndexByte(part, '['); i >= 0 {
			name = part[:i]
			n, err := strconv.Atoi(strings.TrimSuffix(part[i+1:], "]"))
			if err != nil {
				return reflect.Value{}, fmt.Errorf("bad key %q", key)
			}
			index = n
		}
		f, ok := fieldByTag(v, name)
		if !ok {
			return reflect.Value{}, fmt.Errorf("no key %q", key)
		}
		v = f
		if index >= 0 {
			if v.Len() <= index {
				if !grow {
					return reflect.Value{}, fmt.Errorf("no element %d in %q", index, key)
				}
				for v.Len() <= index {
					elem := reflect.New(v.Type().Elem())
					if d, ok := elem.Interface().(interface{ defaults() }); ok {
						d.defaults()
					}
					v.Set(reflect.Append(v, elem.Elem()))
				}
			}
			v = v.Index(index)
		}
	}
	return v, nil
}

// fieldByTag returns the field of struct v whose YAML tag is name.
func fieldByTag(v reflect.Value, name string) (reflect.Value, bool) {
	if v.Kind() != reflect.Struct {
		return reflect.Value{}, false
	}
	for i := range v.NumField() {
		if tag, _, _ := strings.Cut(v.Type().Field(i).Tag.Get("yaml"), ","); tag == name {
			return v.Field(i), true
		}
	}
	return reflect.Value{}, false
}

func tags(t reflect.Type) []string {
	var out []string
	for i := range t.NumField() {
		if tag, _, _ := strings.Cut(t.Field(i).Tag.Get("yaml"), ","); tag != "" {
			out = append(out, tag)
		}
	}
	return out
}

// setScalar parses s into v.
func setScalar(v reflect.Value, s string) error {
	if u, ok := v.Addr().Interface().(encoding.TextUnmarshaler); ok {
		if err := u.UnmarshalText([]byte(s)); err != nil {
			return fmt.Errorf("invalid value %q: %w", s, err)
		}
		return nil
	}
	switch v.Interface().(type) {
	case time.Duration:
		d, err := time.ParseDuration(s)
		if err != nil {
			return fmt.Errorf("invalid duration %q (use a unit, as in 30s, 1m or 1h30m)", s)
		}
		v.SetInt(int64(d))
		return nil
	}
	switch v.Kind() {
	case reflect.String:
		v.SetString(s)
	case reflect.Bool:
		b, err := strconv.ParseBool(s)
		if err != nil {
			return fmt.Errorf("invalid boolean %q (use true or false)", s)
		}
		v.SetBool(b)
	case reflect.Int, reflect.Int64:
		n, err := strconv.ParseInt(strings.ReplaceAll(s, "_", ""), 10, 64)
		if err != nil {
			return fmt.Errorf("invalid integer %q", s)
		}
		v.SetInt(n)
	case reflect.Float64:
		f, err := strconv.ParseFloat(s, 64)
		if err != nil {
			return fmt.Errorf("invalid number %q", s)
		}
		v.SetFloat(f)
	default:
		return fmt.Errorf("cannot set a %s from text", v.Type())
	}
	return nil
}

// format writes a default value for flag usage.
func format(v reflect.Value) string {
	switch x := v.Interface().(type) {
	case time.Duration:
		return x.String()
	case []string:
		return strings.Join(x, ",")
	case encoding.TextMarshaler:
		b, _ := x.MarshalText()
		return strings.ToLower(string(b))
	}
	return fmt.Sprint(v.Interface())
}

func splitList(s string) []string {
	out := []string{}
	for part := range strings.SplitSeq(s, ",") {
		if part = strings.TrimSpace(part); part != "" {
			out = append(out, part)
		}
	}
	return out
}

func join(prefix, key string) string {
	if prefix == "" {
		return key
	}
	return prefix + "." + key
}

func displayKey(key string) string {
	if key == "" {
		return "(top level)"
	}
	return key
}
