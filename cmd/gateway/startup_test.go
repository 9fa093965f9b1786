package main

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"
)

// unreachable is a backend address where nothing listens.
const unreachable = "127.0.0.1:1"

// syncBuffer is a strings.Builder that the gateway's logger and the test
// may use at once.
type syncBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// TestSettingsErrorsComeBeforeDialling: settings that the gateway would
// refuse whatever the backend are usage errors (exit status 2) that name
// the key and where its value came from, reported at once, before the
// backend is dialled: with a backend that cannot be reached, the command
// would otherwise wait for the discovery timeout and report only that.
func TestSettingsErrorsComeBeforeDialling(t *testing.T) {
	file := filepath.Join(t.TempDir(), "gateway.yaml")
	content := "backends:\n  - target: " + unreachable + "\n    methods:\n      shop.v1.Orders.Watch: {event: \"order\\nfake: field\"}\n"
	if err := os.WriteFile(file, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	backend := []string{"--backend", unreachable, "--discovery-timeout", "1m", "--listen", "127.0.0.1:0"}
	for _, tc := range []struct {
		name string
		args []string
		env  map[string]string
		want []string
	}{
		{"any origin with credentials", append([]string{"--cors-origin", "*", "--cors-credentials"}, backend...), nil,
			[]string{"browser.cors_credentials", "flag --cors-credentials", "credentials"}},
		{"malformed origin", append([]string{"--cors-origin", "app.example.com/x"}, backend...), nil,
			[]string{"browser.cors_origins", "flag --cors-origin", "not an origin"}},
		{"event name with a line break", []string{"--config", file, "--listen", "127.0.0.1:0"}, nil,
			[]string{"backends[0].methods[shop.v1.Orders.Watch]", "file " + file + " line 4", "line break"}},
		{"heartbeat event with a line break", backend, map[string]string{"SSEGW_HEARTBEAT_EVENT": "beat\r"},
			[]string{"streams.heartbeat_event", "SSEGW_HEARTBEAT_EVENT", "line break"}},
		{"reserved header", append([]string{"--forward-header", "Authorization,Host"}, backend...), nil,
			[]string{"streams.forward_headers", "flag --forward-header", `"Host" is reserved`}},
		{"cookie name", append([]string{"--forward-cookie", "a=b"}, backend...), nil,
			[]string{"browser.forward_cookies", "flag --forward-cookie", "not a cookie name"}},
		{"access token parameter", append([]string{"--access-token-param", "request"}, backend...), nil,
			[]string{"browser.access_token_param", "flag --access-token-param", "another parameter"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
			defer cancel()
			start := time.Now()
			err := runEnv(ctx, tc.args, func(k string) (string, bool) { v, ok := tc.env[k]; return v, ok }, discard{}, discard{})
			if !errors.Is(err, errUsage) || exitCode(err) != 2 {
				t.Fatalf("run: %v (exit status %d), want a usage error, exit status 2", err, exitCode(err))
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not mention %q", err, w)
				}
			}
			if took := time.Since(start); took > 5*time.Second {
				t.Errorf("reported after %v: not before dialling", took)
			}
		})
	}
}

// TestStartupSaysWhatItWaitsFor: while the backend cannot be reached, the
// command says what it waits for (the backend, its target and the state of
// the connection) when discovery starts and every few seconds, not only
// when it gives up.
func TestStartupSaysWhatItWaitsFor(t *testing.T) {
	var logs syncBuffer
	err := runEnv(t.Context(), []string{"--backend", unreachable, "--discovery-timeout", "8s", "--listen", "127.0.0.1:0"},
		func(string) (string, bool) { return "", false }, discard{}, &logs)
	if err == nil || !strings.Contains(err.Error(), "not reachable") {
		t.Fatalf("run: %v, want the backend not reachable", err)
	}
	out := logs.String()
	for _, want := range []string{
		`msg="discovering the backend's services" backend=default target=127.0.0.1:1 from="server reflection" timeout=8s`,
		`msg="waiting for the backend" backend=default target=127.0.0.1:1 connection=`,
	} {
		if !strings.Contains(out, want) {
			t.Errorf("logs lack %q:\n%s", want, out)
		}
	}
	// The first progress line comes after about 5s: the timeout leaves
	// room for a late tick on a busy machine.
	if !regexp.MustCompile(`waited=[5-7]s timeout=8s`).MatchString(out) {
		t.Errorf("logs lack a progress line after about 5s:\n%s", out)
	}
}

// TestPrintConfigWithUnreachableBackend: --print-config prints the
// configuration even when the backend cannot be reached, and says that
// the routes are unknown, and why.
func TestPrintConfigWithUnreachableBackend(t *testing.T) {
	var out strings.Builder
	err := runEnv(t.Context(), []string{"--print-config", "--backend", unreachable, "--discovery-timeout", "300ms", "--max-streams", "42"},
		func(string) (string, bool) { return "", false }, &out, discard{})
	if err == nil {
		t.Fatal("no error, want the backend not reachable")
	}
	for _, want := range []string{"# effective configuration\n", "max_streams: 42\n", "target: " + unreachable + "\n", "# routes: unknown", "not reachable"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, out.String())
		}
	}
}

// TestPrintConfigOfTheDemoLoadsBack: what --print-config --demo prints
// loads back with --config, to the same configuration.
func TestPrintConfigOfTheDemoLoadsBack(t *testing.T) {
	none := func(string) (string, bool) { return "", false }
	var first strings.Builder
	if err := runEnv(t.Context(), []string{"--print-config", "--demo", "--max-streams", "42"}, none, &first, discard{}); err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(t.TempDir(), "gateway.yaml")
	if err := os.WriteFile(file, []byte(first.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	var second strings.Builder
	if err := runEnv(t.Context(), []string{"--print-config", "--config", file}, none, &second, discard{}); err != nil {
		t.Fatalf("the printed configuration does not load back: %v\n%s", err, first.String())
	}
	if first.String() != second.String() {
		t.Errorf("loaded back, it prints differently:\n%s\n---\n%s", first.String(), second.String())
	}
	if !strings.Contains(first.String(), "demo: true\n") || !strings.Contains(first.String(), "max_streams: 42\n") ||
		!strings.Contains(first.String(), "GET  /v1/symbols/{symbol}/ticks") {
		t.Errorf("output:\n%s", first.String())
	}
}

// TestHelpGoesToStdout: --help prints the usage to standard output, as
// asked for, and exits with status 0; standard error stays empty.
func TestHelpGoesToStdout(t *testing.T) {
	for _, arg := range []string{"--help", "-h"} {
		cmd := exec.Command(os.Args[0], arg)
		cmd.Env = append(os.Environ(), runMainEnv+"=1")
		var stdout, stderr strings.Builder
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		if err := cmd.Run(); err != nil {
			t.Errorf("%s: %v, want exit status 0", arg, err)
		}
		if !strings.HasPrefix(stdout.String(), "Usage: gateway") || !strings.Contains(stdout.String(), "-max-streams") {
			t.Errorf("%s: standard output %q, want the usage", arg, stdout.String())
		}
		if stderr.Len() != 0 {
			t.Errorf("%s: standard error %q, want nothing", arg, stderr.String())
		}
	}
}
