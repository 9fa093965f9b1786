package main

import (
	"fmt"
	"slices"
	"strings"

	"github.com/ssegw/ssegw/gateway"
	"github.com/ssegw/ssegw/internal/config"
)

// checkOptions checks, before any backend is dialled, the settings that
// the gateways would refuse without looking at a backend, so that such a
// mistake is reported at once, even with a backend that cannot be
// reached, as a usage error that names the key and where its value came
// from (origin).
func checkOptions(cfg *config.Config, origin func(key string) string) error {
	s, br := cfg.Streams, cfg.Browser
	checks := []struct {
		key string
		opt gateway.Option
	}{
		{"streams.forward_headers", gateway.WithIncomingHeaders(s.ForwardHeaders...)},
		{"streams.forward_metadata", gateway.WithOutgoingMetadata(s.ForwardMetadata...)},
		{"streams.heartbeat_event", gateway.WithHeartbeatEvent(s.HeartbeatEvent)},
		{"browser.forward_cookies", gateway.WithForwardedCookies(br.ForwardCookies...)},
		{"browser.access_token_param", gateway.WithAccessTokenParam(br.AccessTokenParam)},
	}
	if len(br.CORSOrigins) > 0 {
		key := "browser.cors_origins"
		if br.CORSCredentials && slices.Contains(br.CORSOrigins, "*") {
			key = "browser.cors_credentials"
		}
		checks = append(checks, struct {
			key string
			opt gateway.Option
		}{key, gateway.WithCORS(gateway.CORS{AllowedOrigins: br.CORSOrigins, AllowCredentials: br.CORSCredentials, AllowedHeaders: br.CORSHeaders})})
	}
	for i, b := range cfg.Backends {
		names := make([]string, 0, len(b.Methods))
		for name := range b.Methods {
			names = append(names, name)
		}
		slices.Sort(names)
		for _, name := range names {
			checks = append(checks, struct {
				key string
				opt gateway.Option
			}{fmt.Sprintf("backends[%d].methods[%s]", i, name), gateway.WithMethodOptions(name, streamOptions(b.Methods[name]))})
		}
	}
	for _, c := range checks {
		if err := gateway.CheckOptions(c.opt); err != nil {
			return fmt.Errorf("%w: config: %s (%s): %s", errUsage, c.key, origin(c.key), strings.TrimPrefix(err.Error(), "gateway: "))
		}
	}
	return nil
}
