package config

import (
	"fmt"
	"net/netip"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"
	"google.golang.org/protobuf/reflect/protoreflect"
)

// validate checks the whole configuration, and fills in what follows from
// it (backend names).
func (c *loaded) validate() error {
	cfg := &c.cfg
	switch {
	case cfg.Listen == "":
		return c.errorf("listen", "must not be empty")
	case cfg.AdminListen != "" && cfg.AdminListen == cfg.Listen && !strings.HasSuffix(cfg.Listen, ":0"):
		return c.errorf("admin_listen", "must differ from listen (%q), or be empty to serve health and metrics on listen", cfg.Listen)
	case (cfg.TLS.CertFile == "") != (cfg.TLS.KeyFile == ""):
		if cfg.TLS.CertFile == "" {
			return c.errorf("tls.cert_file", "is needed with tls.key_file")
		}
		return c.errorf("tls.key_file", "is needed with tls.cert_file")
	}
	for _, key := range []string{"tls.cert_file", "tls.key_file"} {
		if err := c.readable(key); err != nil {
			return err
		}
	}
	if f := cfg.Log.Format; f != "text" && f != "json" {
		return c.errorf("log.format", "must be text or json, not %q", f)
	}
	switch cfg.Tracing.Exporter {
	case "none", "otlp":
	default:
		return c.errorf("tracing.exporter", "must be none or otlp, not %q", cfg.Tracing.Exporter)
	}
	if r := cfg.Tracing.SampleRatio; !(r >= 0 && r <= 1) { // NaN too
		return c.errorf("tracing.sample_ratio", "must be between 0 and 1, not %v", r)
	}
	if e := cfg.Tracing.Endpoint; e != "" {
		if u, err := url.Parse(e); err != nil || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https") {
			return c.errorf("tracing.endpoint", "must be a URL such as http://collector:4317, not %q", e)
		}
	}
	for _, server := range cfg.OpenAPI.Servers {
		if u, err := url.Parse(server); err != nil || !(u.Host != "" && (u.Scheme == "http" || u.Scheme == "https") || u.Scheme == "" && strings.HasPrefix(u.Path, "/")) {
			return c.errorf("openapi.servers", "must hold URLs such as https://api.example.com or paths such as /api, not %q", server)
		}
	}
	positive := map[string]int64{
		"drain.timeout":              int64(cfg.Drain.Timeout),
		"drain.retry":                int64(cfg.Drain.Retry),
		"limits.max_request_bytes":   cfg.Limits.MaxRequestBytes,
		"limits.max_header_bytes":    int64(cfg.Limits.MaxHeaderBytes),
		"limits.retry_after":         int64(cfg.Limits.RetryAfter),
		"limits.read_header_timeout": int64(cfg.Limits.ReadHeaderTimeout),
		"limits.body_read_timeout":   int64(cfg.Limits.BodyReadTimeout),
		"streams.header_timeout":     int64(cfg.Streams.HeaderTimeout),
	}
	notNegative := map[string]int64{
		"drain.delay":                   int64(cfg.Drain.Delay),
		"limits.max_streams":            int64(cfg.Limits.MaxStreams),
		"limits.max_streams_per_client": int64(cfg.Limits.MaxStreamsPerClient),
		"limits.write_timeout":          int64(cfg.Limits.WriteTimeout),
		"limits.max_stream_lifetime":    int64(cfg.Limits.MaxStreamLifetime),
		"streams.heartbeat":             int64(cfg.Streams.Heartbeat),
		"streams.retry":                 int64(cfg.Streams.Retry),
		"browser.cors_max_age":          int64(cfg.Browser.CORSMaxAge),
		"unary.timeout":                 int64(cfg.Unary.Timeout),
	}
	for _, key := range sortedKeys(positive) {
		if positive[key] <= 0 {
			return c.errorf(key, "must be positive")
		}
	}
	for _, key := range sortedKeys(notNegative) {
		if notNegative[key] < 0 {
			return c.errorf(key, "must not be negative")
		}
	}
	if cfg.Limits.MaxBodyBufferBytes < cfg.Limits.MaxRequestBytes {
		return c.errorf("limits.max_body_buffer_bytes", "must be at least limits.max_request_bytes (%d)", cfg.Limits.MaxRequestBytes)
	}
	if _, err := cfg.TrustedProxies(); err != nil {
		return err
	}

	switch {
	case cfg.Demo && len(cfg.Backends) > 0:
		return c.errorf("demo", "--demo and --backend exclude each other: the demo is its own backend")
	case !cfg.Demo && len(cfg.Backends) == 0:
		return c.errorf("backends", "no backend: --backend is required (or --demo, or backends in the file)")
	}
	names := map[string]bool{}
	for i := range cfg.Backends {
		b := &cfg.Backends[i]
		key := func(k string) string { return fmt.Sprintf("backends[%d].%s", i, k) }
		if b.Name == "" {
			if len(cfg.Backends) > 1 {
				return c.errorf(key("name"), "must be set when there are several backends")
			}
			b.Name = "default"
		}
		if names[b.Name] {
			return c.errorf(key("name"), "%q names two backends", b.Name)
		}
		names[b.Name] = true
		if b.Target == "" {
			return c.errorf(key("target"), "must be set: --backend is required (or --demo)")
		}
		if (b.TLS.CertFile == "") != (b.TLS.KeyFile == "") {
			return c.errorf(key("tls.cert_file"), "and tls.key_file go together for mutual TLS")
		}
		for _, k := range []string{"descriptor_set", "tls.ca_file", "tls.cert_file", "tls.key_file"} {
			if err := c.readable(key(k)); err != nil {
				return err
			}
		}
		if err := c.validateProtoFiles(i, b); err != nil {
			return err
		}
		if b.Plaintext && b.TLS.On() {
			return c.errorf(key("plaintext"), "contradicts the TLS settings of the backend")
		}
		if !b.Plaintext && !b.TLS.On() && !Loopback(b.Target) {
			return c.errorf(key("target"), "%q is not a loopback address: configure TLS (tls.ca_file, --backend-ca, or --backend-tls), or allow plaintext with plaintext: true (--backend-plaintext)", b.Target)
		}
		if b.DiscoveryTimeout <= 0 {
			return c.errorf(key("discovery_timeout"), "must be positive")
		}
		if k := b.Keepalive; k.Time != 0 && k.Time < 10*time.Second {
			return c.errorf(key("keepalive.time"), "must be 0 (off) or at least 10s, gRPC's minimum, not %v", k.Time)
		} else if k.Time != 0 && k.Timeout <= 0 {
			return c.errorf(key("keepalive.timeout"), "must be positive")
		}
		for j, name := range b.Services {
			if !protoreflect.FullName(name).IsValid() {
				return c.errorf(key("services"), "%q (item %d) is not a full service name such as pkg.v1.Service", name, j)
			}
		}
		for _, name := range sortedKeys(b.Methods) {
			m := b.Methods[name]
			mk := func(k string) string { return fmt.Sprintf("backends[%d].methods[%s].%s", i, name, k) }
			if !protoreflect.FullName(name).IsValid() || strings.Count(name, ".") < 2 {
				return c.errorf(fmt.Sprintf("backends[%d].methods[%s]", i, name), "must be a full method name such as pkg.v1.Service.Method")
			}
			for _, p := range []struct{ k, v string }{{"get", m.Get}, {"post", m.Post}, {"put", m.Put}, {"delete", m.Delete}, {"patch", m.Patch}} {
				if p.v != "" && !strings.HasPrefix(p.v, "/") {
					return c.errorf(mk(p.k), "path template %q must start with /", p.v)
				}
			}
			if m.Body != "" && m.Post == "" && m.Put == "" && m.Patch == "" {
				return c.errorf(mk("body"), "needs post, put or patch")
			}
			if m.ResponseBody != "" && m.Get == "" && m.Post == "" && m.Put == "" && m.Delete == "" && m.Patch == "" {
				return c.errorf(mk("response_body"), "needs a route: get, post, put, delete or patch")
			}
			if m.Heartbeat < 0 {
				return c.errorf(mk("heartbeat"), "must not be negative")
			}
			if m.MaxMessageGap < 0 {
				return c.errorf(mk("max_message_gap"), "must not be negative")
			}
			if err := c.validateShare(m.Share, func(k string) string { return mk("share." + k) }); err != nil {
				return err
			}
			if err := c.validateShape(m, mk); err != nil {
				return err
			}
		}
	}
	return nil
}

// validateShare checks the sharing of a method, if any.
func (c *loaded) validateShare(s *Share, key func(string) string) error {
	if s == nil {
		return nil
	}
	const maxEvents = 1 << 20
	for _, n := range []struct {
		k    string
		v    int
		most int
	}{{"queue_events", s.QueueEvents, maxEvents}, {"queue_bytes", s.QueueBytes, 1<<32 - 1}} {
		if n.v < 0 || n.v > n.most {
			return c.errorf(key(n.k), "must be between 0 (the default) and %d", n.most)
		}
	}
	if s.ReplayEvents != nil && (*s.ReplayEvents < 0 || *s.ReplayEvents > maxEvents) {
		return c.errorf(key("replay_events"), "must be between 0 (no replay) and %d", maxEvents)
	}
	if s.ReplayAge < 0 {
		return c.errorf(key("replay_age"), "must not be negative")
	}
	if s.Linger != nil && *s.Linger < 0 {
		return c.errorf(key("linger"), "must not be negative")
	}
	return nil
}

// validateProtoFiles checks the .proto source of backend i: one descriptor
// source only, import paths that are directories, and files found in them.
func (c *loaded) validateProtoFiles(i int, b *Backend) error {
	key := func(k string) string { return fmt.Sprintf("backends[%d].%s", i, k) }
	switch {
	case len(b.ProtoFiles) > 0 && b.DescriptorSet != "":
		return c.errorf(key("proto_files"), "and descriptor_set (%s) exclude each other: a backend has one descriptor source", c.origin(key("descriptor_set")))
	case len(b.ProtoPaths) > 0 && len(b.ProtoFiles) == 0:
		return c.errorf(key("proto_paths"), "needs proto_files (--proto), the .proto files to compile")
	}
	for j, dir := range b.ProtoPaths {
		fi, err := os.Stat(dir)
		if err != nil {
			return c.errorf(key("proto_paths"), "item %d: %v", j, err)
		}
		if !fi.IsDir() {
			return c.errorf(key("proto_paths"), "item %d: %q is not a directory", j, dir)
		}
	}
	dirs := b.ProtoPaths
	if len(dirs) == 0 {
		dirs = []string{"."}
	}
	for j, file := range b.ProtoFiles {
		found := regularFile(file)
		for _, dir := range dirs {
			found = found || (!filepath.IsAbs(file) && regularFile(filepath.Join(dir, file)))
		}
		if !found {
			return c.errorf(key("proto_files"), "item %d: %q is not found in the proto paths (%s)", j, file, strings.Join(dirs, ", "))
		}
	}
	return nil
}

func regularFile(path string) bool {
	fi, err := os.Stat(path)
	return err == nil && fi.Mode().IsRegular()
}

// readable checks that the file named at key, if any, can be read.
func (c *loaded) readable(key string) error {
	f, err := field(reflectOf(&c.cfg), key, false)
	if err != nil || f.String() == "" {
		return nil
	}
	if _, err := os.Stat(f.String()); err != nil {
		return c.errorf(key, "%v", err)
	}
	return nil
}

// TrustedProxies parses limits.trusted_proxies: CIDR prefixes, or single
// addresses.
func (cfg *Config) TrustedProxies() ([]netip.Prefix, error) {
	var out []netip.Prefix
	for _, s := range cfg.Limits.TrustedProxies {
		if p, err := netip.ParsePrefix(s); err == nil {
			out = append(out, p.Masked())
			continue
		}
		a, err := netip.ParseAddr(s)
		if err != nil {
			return nil, fmt.Errorf("config: limits.trusted_proxies: %q is neither a CIDR prefix nor an IP address", s)
		}
		out = append(out, netip.PrefixFrom(a, a.BitLen()))
	}
	return out, nil
}

// YAML returns the configuration as YAML, as a file would give it.
func (cfg *Config) YAML() ([]byte, error) {
	return yaml.Marshal(cfg)
}
