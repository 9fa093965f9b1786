package config

import (
	"flag"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// FuzzLoad feeds arbitrary YAML files, with one environment variable and
// one flag, to the loader. It must never panic, and a configuration it
// accepts must print as YAML that loads back to the same configuration.
func FuzzLoad(f *testing.F) {
	f.Add([]byte(fullFile), "", "", "", "")
	f.Add([]byte("listen: \":8080\"\nbackends:\n  - target: localhost:9090\n"), "SSEGW_MAX_STREAMS", "5", "heartbeat", "1s")
	f.Add([]byte("backends: [{target: localhost:1, methods: {a.B.C: {event: x, heartbeat: 1s}}}]"), "SSEGW_BACKEND", "127.0.0.1:2", "service", "a.B")
	f.Add([]byte("a: &x {b: *x}"), "", "", "", "")
	f.Add([]byte("limits: &l {max_streams: 1}\nstreams: *l\n"), "", "", "", "")
	f.Add([]byte("log: {level: loud}"), "SSEGW_WRITE_TIMEOUT", "soon", "retry", "-1s")
	f.Add([]byte("\xef\xbb\xbflisten: [1, 2]\n---\nlisten: x\n"), "SSEGW_H2C", "maybe", "max-streams", "1e9")
	dir := f.TempDir()
	f.Fuzz(func(t *testing.T, file []byte, envKey, envValue, flagName, flagValue string) {
		path := filepath.Join(dir, "fuzz.yaml")
		if err := os.WriteFile(path, file, 0o600); err != nil {
			t.Fatal(err)
		}
		args := []string{"--config", path}
		if flagName != "" && !strings.HasPrefix(flagName, "-") {
			args = append(args, "--"+flagName+"="+flagValue)
		}
		env := map[string]string{}
		if envKey != "" {
			env[envKey] = envValue
		}
		cfg, err := loadArgs(args, env)
		if err != nil {
			return
		}
		out, err := cfg.YAML()
		if err != nil {
			t.Fatalf("accepted configuration does not print: %v", err)
		}
		if err := os.WriteFile(path, out, 0o600); err != nil {
			t.Fatal(err)
		}
		again, err := loadArgs([]string{"--config", path}, nil)
		if err != nil {
			t.Fatalf("printed configuration does not load back: %v\n%s", err, out)
		}
		if out2, _ := again.YAML(); string(out2) != string(out) {
			t.Fatalf("printed configuration loads back differently:\n%s\n---\n%s", out, out2)
		}
	})
}

// loadArgs loads a configuration from a command line and an environment.
func loadArgs(args []string, env map[string]string) (*Config, error) {
	fs := flag.NewFlagSet("fuzz", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	l := NewLoader(fs)
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	return l.Load(func(k string) (string, bool) {
		v, ok := env[k]
		return v, ok
	})
}
