package gateway

import (
	"fmt"
	"slices"
	"strings"

	"google.golang.org/protobuf/reflect/protoreflect"
)

// CheckOptions checks opts as New does before it looks at the backend: it
// returns the error New would return for any of them that is invalid
// (reserved header names, a CORS policy that allows every origin with
// credentials, an event name with a line break, a negative duration, …),
// or nil. Per-method options are checked as far as they can be without
// the method's descriptors: their field paths are resolved only by New.
// A program can call it at start, before it dials the backend, so that a
// mistake in its configuration is reported at once.
func CheckOptions(opts ...Option) error {
	cfg := newConfig(opts)
	return cfg.check()
}

// newConfig applies opts to the defaults.
func newConfig(opts []Option) config {
	cfg := defaultConfig()
	for _, opt := range opts {
		opt(&cfg)
	}
	return cfg
}

// check validates what can be validated without the backend.
func (cfg *config) check() error {
	if _, err := normalizeHeaderNames(cfg.incomingHeaders); err != nil {
		return fmt.Errorf("gateway: incoming headers: %w", err)
	}
	if _, err := normalizeHeaderNames(cfg.outgoingMetadata); err != nil {
		return fmt.Errorf("gateway: outgoing metadata: %w", err)
	}
	if cfg.maxRequestBytes <= 0 {
		return fmt.Errorf("gateway: maximum request size must be positive, not %d", cfg.maxRequestBytes)
	}
	if cfg.lastEventIDParam == "" || cfg.requestParam == "" || cfg.lastEventIDParam == cfg.requestParam {
		return fmt.Errorf("gateway: the last event id and request query parameters need two distinct names, not %q and %q", cfg.lastEventIDParam, cfg.requestParam)
	}
	if err := validateFieldValue("heartbeat event", cfg.heartbeatEvent); err != nil {
		return fmt.Errorf("gateway: %w", err)
	}
	if cfg.cors != nil {
		if _, err := newCORSPolicy(*cfg.cors); err != nil {
			return fmt.Errorf("gateway: %w", err)
		}
	}
	if err := validateAuthOptions(cfg); err != nil {
		return fmt.Errorf("gateway: %w", err)
	}
	names := make([]string, 0, len(cfg.methodOptions))
	for name := range cfg.methodOptions {
		names = append(names, string(name))
	}
	slices.Sort(names)
	for _, name := range names {
		opts := cfg.methodOptions[protoreflect.FullName(name)]
		for _, f := range []struct{ field, value string }{{"event", opts.GetEvent()}, {"heartbeat_event", opts.GetHeartbeatEvent()}} {
			if err := validateFieldValue(f.field, f.value); err != nil {
				return fmt.Errorf("gateway: %s: %w", name, err)
			}
		}
		for _, f := range []struct{ field, value string }{{"id_field", opts.GetIdField()}, {"resume_field", opts.GetResumeField()}} {
			if f.value != "" && !validFieldPath(f.value) {
				return fmt.Errorf("gateway: %s: %s %q is not a dotted path of field names", name, f.field, f.value)
			}
		}
		if hb := opts.GetHeartbeatInterval(); hb != nil && (hb.CheckValid() != nil || hb.AsDuration() < 0) {
			return fmt.Errorf("gateway: %s: heartbeat_interval %v is not a duration of zero or more", name, hb)
		}
		if gap := opts.GetMaxMessageGap(); gap != nil && (gap.CheckValid() != nil || gap.AsDuration() < 0) {
			return fmt.Errorf("gateway: %s: max_message_gap %v is not a duration of zero or more", name, gap)
		}
	}
	ops := cfg.ops
	switch {
	case ops.writeTimeout < 0:
		return fmt.Errorf("gateway: write timeout must not be negative, not %v", ops.writeTimeout)
	case ops.maxLifetime < 0:
		return fmt.Errorf("gateway: maximum stream lifetime must not be negative, not %v", ops.maxLifetime)
	case ops.drainRetry <= 0:
		return fmt.Errorf("gateway: drain retry must be positive, not %v", ops.drainRetry)
	case ops.retryAfter <= 0:
		return fmt.Errorf("gateway: Retry-After must be positive, not %v", ops.retryAfter)
	case ops.clientAddress == nil:
		return fmt.Errorf("gateway: the client address function is nil")
	case ops.bodyReadTimeout <= 0:
		return fmt.Errorf("gateway: body read timeout must be positive, not %v", ops.bodyReadTimeout)
	case ops.maxBodyBuffer < cfg.maxRequestBytes:
		return fmt.Errorf("gateway: the body buffer limit (%d bytes) must be at least the maximum request size (%d bytes)", ops.maxBodyBuffer, cfg.maxRequestBytes)
	}
	return nil
}

// validFieldPath reports whether p is a dotted path of field names, such
// as "cursor.position".
func validFieldPath(p string) bool {
	for name := range strings.SplitSeq(p, ".") {
		if !protoreflect.Name(name).IsValid() {
			return false
		}
	}
	return true
}
