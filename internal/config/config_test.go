package config

import (
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"
)

// load reads the configuration as the command does, from a file with the
// given content (none when empty), env and args.
func load(t *testing.T, file string, env map[string]string, args ...string) (*Config, error) {
	t.Helper()
	fs := flag.NewFlagSet("test", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	l := NewLoader(fs)
	if file != "" {
		path := filepath.Join(t.TempDir(), "gateway.yaml")
		if err := os.WriteFile(path, []byte(file), 0o600); err != nil {
			t.Fatal(err)
		}
		args = append([]string{"--config", path}, args...)
	}
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	return l.Load(func(k string) (string, bool) {
		v, ok := env[k]
		return v, ok
	})
}

func mustLoad(t *testing.T, file string, env map[string]string, args ...string) *Config {
	t.Helper()
	cfg, err := load(t, file, env, args...)
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

const fullFile = `
listen: ":9000"
admin_listen: "127.0.0.1:9001"
h2c: false
log: {level: debug, format: json, access: false}
tracing: {exporter: otlp, endpoint: "http://collector:4317", insecure: true, sample_ratio: 0.25}
drain: {timeout: 40s, delay: 5s, retry: 500ms}
limits:
  max_streams: 500
  max_streams_per_client: 20
  write_timeout: 10s
  max_stream_lifetime: 1h
  trusted_proxies: [10.0.0.0/8, 192.0.2.1]
streams:
  heartbeat: 20s
  forward_headers: [Authorization, X-Tenant]
unary: {enabled: false, timeout: 15s}
backends:
  - name: orders
    target: localhost:9090
    services: [shop.v1.Orders]
    methods:
      shop.v1.Orders.Watch:
        get: /orders/{id}/watch
        event: order
        id_field: version
        resume_field: after_version
        heartbeat: 5s
        max_message_gap: 30s
        share: {public: true, replay_events: 0, replay_age: 1m, linger: 0s, queue_events: 64, queue_bytes: 65536}
      shop.v1.Orders.Feed:
        share: {}
        shape: {event_field: kind, data_field: payload, sentinel: "[DONE]", sentinel_event: done}
      shop.v1.Orders.Update:
        put: /orders/{order.id}
        patch: /orders/{order.id}
        body: order
        response_body: order
      shop.v1.Orders.Delete: {delete: '/orders/{id}'}
  - name: prices
    keepalive: {time: 30s, timeout: 2s}
    target: dns:///prices.internal:443
    tls: {server_name: prices.internal}
`

func TestConfigFile(t *testing.T) {
	cfg := mustLoad(t, fullFile, nil)
	if cfg.Listen != ":9000" || cfg.AdminListen != "127.0.0.1:9001" || cfg.H2C {
		t.Errorf("listeners: %+v", cfg)
	}
	if cfg.Log.Level != slog.LevelDebug || cfg.Log.Format != "json" || cfg.Log.Access {
		t.Errorf("log: %+v", cfg.Log)
	}
	if cfg.Drain.Timeout != 40*time.Second || cfg.Drain.Delay != 5*time.Second || cfg.Drain.Retry != 500*time.Millisecond {
		t.Errorf("drain: %+v", cfg.Drain)
	}
	if cfg.Limits.MaxStreams != 500 || cfg.Limits.MaxStreamsPerClient != 20 || cfg.Limits.MaxStreamLifetime != time.Hour {
		t.Errorf("limits: %+v", cfg.Limits)
	}
	if cfg.Limits.MaxRequestBytes != 1<<20 {
		t.Errorf("max_request_bytes %d: an unset key keeps its default", cfg.Limits.MaxRequestBytes)
	}
	if p, err := cfg.TrustedProxies(); err != nil || len(p) != 2 || p[1].String() != "192.0.2.1/32" {
		t.Errorf("trusted proxies %v (%v)", p, err)
	}
	if !slices.Equal(cfg.Streams.ForwardHeaders, []string{"Authorization", "X-Tenant"}) {
		t.Errorf("forward headers %q", cfg.Streams.ForwardHeaders)
	}
	if len(cfg.Backends) != 2 {
		t.Fatalf("backends %+v", cfg.Backends)
	}
	orders, prices := cfg.Backends[0], cfg.Backends[1]
	m := orders.Methods["shop.v1.Orders.Watch"]
	if m.Get != "/orders/{id}/watch" || m.Event != "order" || m.IDField != "version" || m.ResumeField != "after_version" || m.Heartbeat != 5*time.Second {
		t.Errorf("method override %+v", m)
	}
	if m.MaxMessageGap != 30*time.Second {
		t.Errorf("max_message_gap %v", m.MaxMessageGap)
	}
	if sh := m.Share; sh == nil || !sh.Public || sh.ReplayEvents == nil || *sh.ReplayEvents != 0 || sh.ReplayAge != time.Minute ||
		sh.Linger == nil || *sh.Linger != 0 || sh.QueueEvents != 64 || sh.QueueBytes != 65536 {
		t.Errorf("share %+v", m.Share)
	}
	if sh := orders.Methods["shop.v1.Orders.Feed"].Share; sh == nil || sh.Public || sh.ReplayEvents != nil || sh.Linger != nil {
		t.Errorf("share: {} gives %+v, want sharing with the defaults", sh)
	}
	if orders.Methods["shop.v1.Orders.Watch"].Share == nil || orders.Methods["x"].Share != nil {
		t.Error("share is set only where given")
	}
	if sh := orders.Methods["shop.v1.Orders.Feed"].Shape; sh == nil || *sh != (Shape{EventField: "kind", DataField: "payload", Sentinel: "[DONE]", SentinelEvent: "done"}) {
		t.Errorf("shape %+v", sh)
	}
	if orders.Methods["shop.v1.Orders.Watch"].Shape != nil {
		t.Error("shape is set only where given")
	}
	if u := orders.Methods["shop.v1.Orders.Update"]; u.Put != "/orders/{order.id}" || u.Patch != u.Put || u.Body != "order" || u.ResponseBody != "order" {
		t.Errorf("unary method override %+v", u)
	}
	if d := orders.Methods["shop.v1.Orders.Delete"]; d.Delete != "/orders/{id}" {
		t.Errorf("unary method override %+v", d)
	}
	if cfg.Unary.Enabled || cfg.Unary.Timeout != 15*time.Second {
		t.Errorf("unary: %+v", cfg.Unary)
	}
	if def := mustLoad(t, "", nil, "--demo"); !def.Unary.Enabled || def.Unary.Timeout != 0 {
		t.Errorf("unary defaults: %+v, want on without a timeout", def.Unary)
	}
	if orders.DiscoveryTimeout != time.Minute {
		t.Errorf("discovery timeout %v: want the backend default", orders.DiscoveryTimeout)
	}
	if orders.Keepalive != (Keepalive{Time: 5 * time.Minute, Timeout: 20 * time.Second}) || prices.Keepalive != (Keepalive{Time: 30 * time.Second, Timeout: 2 * time.Second}) {
		t.Errorf("keepalive %+v and %+v, want the default and the file's", orders.Keepalive, prices.Keepalive)
	}
	if !prices.TLS.On() || prices.TLS.ServerName != "prices.internal" {
		t.Errorf("prices TLS %+v", prices.TLS)
	}
}

func TestEnvironment(t *testing.T) {
	env := map[string]string{
		"SSEGW_BACKEND":        "127.0.0.1:9090",
		"SSEGW_LISTEN":         ":7000",
		"SSEGW_LOG_FORMAT":     "json",
		"SSEGW_MAX_STREAMS":    "42",
		"SSEGW_WRITE_TIMEOUT":  "3s",
		"SSEGW_FORWARD_HEADER": "Authorization, X-Request-Id",
		"SSEGW_H2C":            "false",
		"SSEGW_SERVICE":        "a.B,c.D",
	}
	cfg := mustLoad(t, "", env)
	if cfg.Listen != ":7000" || cfg.Log.Format != "json" || cfg.Limits.MaxStreams != 42 || cfg.Limits.WriteTimeout != 3*time.Second || cfg.H2C {
		t.Errorf("config from the environment: %+v", cfg)
	}
	if !slices.Equal(cfg.Streams.ForwardHeaders, []string{"Authorization", "X-Request-Id"}) {
		t.Errorf("forward headers %q", cfg.Streams.ForwardHeaders)
	}
	if len(cfg.Backends) != 1 || cfg.Backends[0].Target != "127.0.0.1:9090" || cfg.Backends[0].Name != "default" ||
		!slices.Equal(cfg.Backends[0].Services, []string{"a.B", "c.D"}) {
		t.Errorf("backend %+v", cfg.Backends)
	}

	// The file can come from the environment too.
	path := filepath.Join(t.TempDir(), "c.yaml")
	if err := os.WriteFile(path, []byte("demo: true\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if cfg := mustLoad(t, "", map[string]string{ConfigFileEnv: path}); !cfg.Demo {
		t.Errorf("SSEGW_CONFIG was not read")
	}
}

func TestPrecedenceFlagsOverEnvOverFileOverDefaults(t *testing.T) {
	file := "listen: file:1\nlimits: {max_streams: 1, max_streams_per_client: 1, write_timeout: 1s}\nstreams: {forward_headers: [From-File]}\nbackends: [{target: 'localhost:1'}]\n"
	env := map[string]string{
		"SSEGW_LISTEN":                 "env:2",
		"SSEGW_MAX_STREAMS":            "2",
		"SSEGW_MAX_STREAMS_PER_CLIENT": "2",
		"SSEGW_BACKEND":                "localhost:2",
	}
	cfg := mustLoad(t, file, env, "--listen", "flag:3", "--backend", "localhost:3",
		"--forward-header", "A", "--forward-header", "B,C")
	for _, c := range []struct {
		what      string
		got, want any
	}{
		{"listen: flag over env over file", cfg.Listen, "flag:3"},
		{"max_streams: env over file", cfg.Limits.MaxStreams, 2},
		{"max_streams_per_client: env over file", cfg.Limits.MaxStreamsPerClient, 2},
		{"write_timeout: file over default", cfg.Limits.WriteTimeout, time.Second},
		{"max_request_bytes: default", cfg.Limits.MaxRequestBytes, int64(1 << 20)},
		{"backend: flag over env over file", cfg.Backends[0].Target, "localhost:3"},
		{"repeated list flag replaces the file's list", strings.Join(cfg.Streams.ForwardHeaders, ","), "A,B,C"},
	} {
		if c.got != c.want {
			t.Errorf("%s: got %v, want %v", c.what, c.got, c.want)
		}
	}
}

func TestInvalidConfigNamesTheKey(t *testing.T) {
	backend := "backends: [{target: 'localhost:1'}]\n"
	for _, tc := range []struct {
		name string
		file string
		env  map[string]string
		args []string
		want []string
	}{
		{"unknown key", "limits:\n  max_stream: 3\n" + backend, nil, nil, []string{"limits.max_stream", "unknown key", "line 2", "max_streams"}},
		{"bad duration in file", "drain:\n  timeout: soon\n" + backend, nil, nil, []string{"drain.timeout", "line 2", `"soon"`}},
		{"bad integer in env", backend, map[string]string{"SSEGW_MAX_STREAMS": "many"}, nil, []string{"limits.max_streams", "SSEGW_MAX_STREAMS", `"many"`}},
		{"negative limit from flag", backend, nil, []string{"--max-streams", "-1"}, []string{"limits.max_streams", "--max-streams", "negative"}},
		{"bad log format", backend, nil, []string{"--log-format", "xml"}, []string{"log.format", "--log-format", "text or json"}},
		{"no backend", "", nil, nil, []string{"--backend is required"}},
		{"demo and backend", backend, nil, []string{"--demo"}, []string{"demo", "exclude each other"}},
		{"plaintext to a remote backend", "", nil, []string{"--backend", "db.example.com:9090"}, []string{"backends[0].target", "not a loopback", "plaintext"}},
		{"plaintext to a remote endpoint behind a loopback authority", "", nil, []string{"--backend", "passthrough://localhost/10.0.0.1:9090"}, []string{"backends[0].target", "not a loopback", "plaintext"}},
		{"unnamed backends", "backends: [{target: 'localhost:1'}, {target: 'localhost:2'}]\n", nil, nil, []string{"backends[0].name"}},
		{"backend flag with several backends", "backends: [{name: a, target: 'localhost:1'}, {name: b, target: 'localhost:2'}]\n", nil, []string{"--backend", "localhost:3"}, []string{"--backend", "2 backends"}},
		{"key without its pair", backend + "tls: {cert_file: /etc/hosts}\n", nil, nil, []string{"tls.key_file"}},
		{"missing file", backend, nil, []string{"--tls-cert", "/nonexistent.pem", "--tls-key", "/nonexistent.key"}, []string{"tls.cert_file", "--tls-cert", "no such file"}},
		{"method name", "backends: [{target: 'localhost:1', methods: {Watch: {event: x}}}]\n", nil, nil, []string{"backends[0].methods[Watch]", "full method name"}},
		{"wrong shape", "backends: {target: x}\n", nil, nil, []string{"backends", "must be a list"}},
		{"negative linger", "backends: [{target: 'localhost:1', methods: {p.S.M: {share: {linger: -1s}}}}]\n", nil, nil, []string{"backends[0].methods[p.S.M].share.linger", "negative"}},
		{"share key", "backends: [{target: 'localhost:1', methods: {p.S.M: {share: {replay: 3}}}}]\n", nil, nil, []string{"share.replay", "unknown key", "replay_events"}},
		{"shape key", "backends: [{target: 'localhost:1', methods: {p.S.M: {shape: {event_one_of: e}}}}]\n", nil, nil, []string{"shape.event_one_of", "unknown key", "event_oneof"}},
		{"event and event oneof", "backends: [{target: 'localhost:1', methods: {p.S.M: {event: x, shape: {event_oneof: e}}}}]\n", nil, nil, []string{"backends[0].methods[p.S.M].shape.event_oneof", "and event (file", "exclude each other"}},
		{"event oneof and event field", "backends: [{target: 'localhost:1', methods: {p.S.M: {shape: {event_oneof: e, event_field: k}}}}]\n", nil, nil, []string{"backends[0].methods[p.S.M].shape.event_oneof", "and shape.event_field (file", "exclude each other"}},
		{"event oneof and data field", "backends: [{target: 'localhost:1', methods: {p.S.M: {shape: {event_oneof: e, data_field: d}}}}]\n", nil, nil, []string{"shape.event_oneof", "shape.data_field", "the data is the value of the case"}},
		{"event and event field", "backends: [{target: 'localhost:1', methods: {p.S.M: {event: x, shape: {event_field: k}}}}]\n", nil, nil, []string{"backends[0].methods[p.S.M].shape.event_field", "exclude each other"}},
		{"sentinel event alone", "backends: [{target: 'localhost:1', methods: {p.S.M: {shape: {sentinel_event: done}}}}]\n", nil, nil, []string{"backends[0].methods[p.S.M].shape.sentinel_event", "needs shape.sentinel"}},
		{"sentinel named end", "backends: [{target: 'localhost:1', methods: {p.S.M: {shape: {sentinel: x, sentinel_event: end}}}}]\n", nil, nil, []string{"shape.sentinel_event", "terminal"}},
		{"sentinel with a line break", "backends: [{target: 'localhost:1', methods: {p.S.M: {shape: {sentinel: \"a\\nb\"}}}}]\n", nil, nil, []string{"backends[0].methods[p.S.M].shape.sentinel", "line break"}},
		{"sample ratio", backend + "tracing: {sample_ratio: 2}\n", nil, nil, []string{"tracing.sample_ratio", "line"}},
		{"trusted proxy", backend, nil, []string{"--trusted-proxy", "nonsense"}, []string{"limits.trusted_proxies", "nonsense"}},
		{"no body read timeout", backend, nil, []string{"--body-read-timeout", "0s"}, []string{"limits.body_read_timeout", "--body-read-timeout", "positive"}},
		{"body buffer below the request size", backend + "limits: {max_request_bytes: 2097152}\n", map[string]string{"SSEGW_MAX_BODY_BUFFER_BYTES": "1048576"}, nil, []string{"limits.max_body_buffer_bytes", "SSEGW_MAX_BODY_BUFFER_BYTES", "at least limits.max_request_bytes (2097152)"}},
		{"yaml syntax", "listen: [\n", nil, nil, []string{"gateway.yaml"}},
		{"service name", backend, nil, []string{"--service", "shop.v1.Orders,shop v1"}, []string{"backends[0].services", `"shop v1"`, "item 1"}},
		{"two descriptor sources", backend, nil, []string{"--descriptor-set", "/etc/hosts", "--proto", "a.proto"}, []string{"backends[0].proto_files", "--proto", "descriptor_set", "--descriptor-set", "exclude each other"}},
		{"proto path without files", backend, map[string]string{"SSEGW_PROTO_PATH": "/"}, nil, []string{"backends[0].proto_paths", "SSEGW_PROTO_PATH", "needs proto_files"}},
		{"proto path not a directory", "backends: [{target: 'localhost:1', proto_files: [a.proto], proto_paths: [/etc/hosts]}]\n", nil, nil, []string{"backends[0].proto_paths", "line 1", `"/etc/hosts" is not a directory`}},
		{"proto path missing", backend, nil, []string{"--proto", "a.proto", "--proto-path", "/nonexistent"}, []string{"backends[0].proto_paths", "--proto-path", "no such file"}},
		{"proto file missing", backend, nil, []string{"--proto", "a.proto", "--proto", "nowhere/b.proto", "--proto-path", "/etc"}, []string{"backends[0].proto_files", "--proto", `item 0: "a.proto" is not found in the proto paths (/etc)`}},
		{"invalid UTF-8 in env", backend, map[string]string{"SSEGW_LISTEN": "\xa4:80"}, nil, []string{"listen", "SSEGW_LISTEN", "UTF-8"}},
		{"sample ratio NaN", backend, nil, []string{"--trace-sample-ratio", "NaN"}, []string{"tracing.sample_ratio", "--trace-sample-ratio"}},
		{"aliases that expand without end", aliasBomb(), nil, nil, []string{"gateway.yaml", "aliases"}},
		{"negative unary timeout", backend, nil, []string{"--unary-timeout", "-1s"}, []string{"unary.timeout", "--unary-timeout", "negative"}},
		{"unary flag", backend, map[string]string{"SSEGW_UNARY": "maybe"}, nil, []string{"unary.enabled", "SSEGW_UNARY"}},
		{"body without a route that takes one", "backends: [{target: 'localhost:1', methods: {a.v1.S.M: {delete: /x, body: '*'}}}]\n", nil, nil, []string{"backends[0].methods[a.v1.S.M].body", "post, put or patch"}},
		{"relative unary path", "backends: [{target: 'localhost:1', methods: {a.v1.S.M: {patch: x}}}]\n", nil, nil, []string{"backends[0].methods[a.v1.S.M].patch", "must start with /"}},
		{"response_body without a route", "backends: [{target: 'localhost:1', methods: {a.v1.S.M: {response_body: x}}}]\n", nil, nil, []string{"response_body", "needs a route"}},
		{"keepalive below gRPC's minimum", backend, nil, []string{"--backend-keepalive-time", "5s"}, []string{"backends[0].keepalive.time", "--backend-keepalive-time", "10s"}},
		{"negative message gap", "backends: [{target: 'localhost:1', methods: {p.S.M: {max_message_gap: -1s}}}]\n", nil, nil, []string{"backends[0].methods[p.S.M].max_message_gap", "negative"}},
		{"oversized file", backend + "#" + strings.Repeat("x", MaxFileBytes) + "\n", nil, nil, []string{"gateway.yaml", "larger than"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := load(t, tc.file, tc.env, tc.args...)
			if err == nil {
				t.Fatal("no error")
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not mention %q", err, w)
				}
			}
		})
	}
}

func TestProtoFiles(t *testing.T) {
	dir := t.TempDir()
	for _, name := range []string{"a.proto", "v1/b.proto"} {
		if err := os.MkdirAll(filepath.Join(dir, filepath.Dir(name)), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, name), []byte(`syntax = "proto3";`), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want := []string{"a.proto", "v1/b.proto"}
	for name, cfg := range map[string]*Config{
		"file": mustLoad(t, "backends: [{target: 'localhost:1', proto_files: [a.proto, v1/b.proto], proto_paths: ["+dir+"]}]\n", nil),
		"env":  mustLoad(t, "", map[string]string{"SSEGW_BACKEND": "localhost:1", "SSEGW_PROTO": "a.proto, v1/b.proto", "SSEGW_PROTO_PATH": dir}),
		"flags": mustLoad(t, "", nil, "--backend", "localhost:1", "--proto", "a.proto", "--proto", "v1/b.proto",
			"--proto-path", dir, "--proto-path", filepath.Join(dir, "v1")),
	} {
		b := cfg.Backends[0]
		if !slices.Equal(b.ProtoFiles, want) || b.ProtoPaths[0] != dir || b.Reflection() {
			t.Errorf("%s: proto files %q, paths %q, reflection %v", name, b.ProtoFiles, b.ProtoPaths, b.Reflection())
		}
	}
	// A file name on disk, with the current directory as the import path.
	t.Chdir(dir)
	if cfg := mustLoad(t, "", nil, "--backend", "localhost:1", "--proto", "v1/b.proto"); cfg.Backends[0].Reflection() {
		t.Error("reflection with a .proto file")
	}
	if cfg := mustLoad(t, "", nil, "--backend", "localhost:1"); !cfg.Backends[0].Reflection() {
		t.Error("no reflection without another source")
	}
}

func TestLoopback(t *testing.T) {
	for target, want := range map[string]bool{
		"localhost:9090":             true,
		"127.0.0.1:9090":             true,
		"[::1]:9090":                 true,
		"dns:///localhost:9090":      true,
		"passthrough:///127.0.0.1:1": true,
		"unix:///run/app.sock":       true,
		"db.example.com:9090":        false,
		"dns:///svc.ns:9090":         false,
		"10.0.0.1:9090":              false,
		// The address dialled is the endpoint, not the authority.
		"passthrough://localhost/10.0.0.1:9090": false,
		"passthrough://127.0.0.1/10.0.0.1:9090": false,
		"passthrough:///10.0.0.1:9090":          false,
		"passthrough:10.0.0.1:9090":             false,
		"passthrough:127.0.0.1:9090":            true,
		"passthrough://anything/localhost:9090": true,
		"passthrough:///[::1]:9090":             true,
		"dns://localhost/db.example.com:9090":   false,
		"dns://127.0.0.1:53/localhost:9090":     false, // a name, asked of a server of the target's choosing
		"dns://127.0.0.1:53/127.0.0.1:9090":     true,
		"dns:///[::ffff:127.0.0.1]:9090":        true,
		"dns:///[2001:db8::1]:9090":             false,
		"unix:app.sock":                         true,
		"unix-abstract:app":                     true,
		"::1":                                   true,
		"127.0.0.1":                             true,
		"[::1]":                                 true,
		"[2001:db8::1]:9090":                    false,
		"localhost":                             true,
		"xds:///localhost:9090":                 false, // a resolver whose addresses cannot be known here
		"http://localhost/10.0.0.1:9090":        false, // no such resolver: all of it is a name for dns
		"PASSTHROUGH://localhost/10.0.0.1:9090": false,
	} {
		if got := Loopback(target); got != want {
			t.Errorf("Loopback(%q) = %v, want %v", target, got, want)
		}
	}
}

func TestPrintedConfigLoadsBack(t *testing.T) {
	cfg := mustLoad(t, fullFile, nil)
	out, err := cfg.YAML()
	if err != nil {
		t.Fatal(err)
	}
	again := mustLoad(t, string(out), nil)
	a, _ := yaml.Marshal(cfg)
	b, _ := yaml.Marshal(again)
	if string(a) != string(b) {
		t.Errorf("printed configuration does not load back the same:\n%s\n---\n%s", a, b)
	}
	if !strings.Contains(string(out), "write_timeout: 10s") {
		t.Errorf("durations should print as text:\n%s", out)
	}
}

func TestEveryKeyIsDocumented(t *testing.T) {
	doc, err := os.ReadFile("../../docs/operations.md")
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range Settings() {
		for _, name := range []string{"--" + s.Flag, s.Env(), s.Key} {
			if !strings.Contains(string(doc), name) {
				t.Errorf("docs/operations.md does not mention %s", name)
			}
		}
	}
}

// aliasBomb returns a small file whose aliases expand to millions of
// values: many backends, each an alias of the first, which has many
// methods, each an alias of the first.
func aliasBomb() string {
	var b strings.Builder
	b.WriteString("backends:\n  - &b\n    target: localhost:1\n    methods:\n")
	b.WriteString("      p.S.M0: &m {event: e, id_field: a, resume_field: b, heartbeat: 1s}\n")
	for i := 1; i < 500; i++ {
		fmt.Fprintf(&b, "      p.S.M%d: *m\n", i)
	}
	for range 2000 {
		b.WriteString("  - *b\n")
	}
	return b.String()
}
