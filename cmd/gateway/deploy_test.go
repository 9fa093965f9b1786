package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/ssegw/ssegw/internal/config"
)

// checkArgs parses args with the command's real flag set, so that every
// flag used in the packaging exists.
func checkArgs(t *testing.T, where string, args []string) *flag.FlagSet {
	t.Helper()
	fs, _, _ := newFlagSet()
	if err := fs.Parse(args); err != nil {
		t.Errorf("%s: arguments %q: %v", where, args, err)
	}
	if fs.NArg() > 0 {
		t.Errorf("%s: arguments %q: %q is not a flag", where, args, fs.Arg(0))
	}
	return fs
}

func TestDockerfileFlagsExist(t *testing.T) {
	data, err := os.ReadFile("../../Dockerfile")
	if err != nil {
		t.Fatal(err)
	}
	var sawCmd bool
	lines := bufio.NewScanner(bytes.NewReader(data))
	for lines.Scan() {
		line := lines.Text()
		for _, instr := range []string{"ENTRYPOINT ", "CMD "} {
			rest, ok := strings.CutPrefix(line, instr)
			if !ok {
				continue
			}
			var argv []string
			if err := json.Unmarshal([]byte(rest), &argv); err != nil {
				t.Fatalf("%s must be a JSON array: %v", line, err)
			}
			if instr == "CMD " {
				sawCmd = true
				checkArgs(t, "Dockerfile CMD", argv)
			}
		}
	}
	if !sawCmd {
		t.Error("the Dockerfile has no CMD with the default flags")
	}
	for _, want := range []string{"CGO_ENABLED=0", "USER nonroot", "distroless"} {
		if !bytes.Contains(data, []byte(want)) {
			t.Errorf("the Dockerfile lacks %q", want)
		}
	}
}

func TestKubernetesManifests(t *testing.T) {
	files, err := filepath.Glob("../../deploy/kubernetes/*.yaml")
	if err != nil || len(files) == 0 {
		t.Fatalf("no manifests: %v", err)
	}
	type probe struct {
		HTTPGet struct{ Path string } `yaml:"httpGet"`
	}
	type container struct {
		Name           string
		Args           []string
		Env            []struct{ Name, Value string }
		LivenessProbe  *probe `yaml:"livenessProbe"`
		ReadinessProbe *probe `yaml:"readinessProbe"`
	}
	type manifest struct {
		Kind string
		Data map[string]string
		Spec struct {
			Template struct {
				Spec struct {
					TerminationGracePeriodSeconds int `yaml:"terminationGracePeriodSeconds"`
					Containers                    []container
				}
			}
		}
	}
	var configs []string
	var sidecars int
	var grace int
	for _, file := range files {
		data, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		dec := yaml.NewDecoder(bytes.NewReader(data))
		for {
			var m manifest
			if err := dec.Decode(&m); errors.Is(err, io.EOF) {
				break
			} else if err != nil {
				t.Fatalf("%s: %v", file, err)
			}
			if m.Kind == "ConfigMap" {
				if c, ok := m.Data["gateway.yaml"]; ok {
					configs = append(configs, c)
				}
			}
			for _, c := range m.Spec.Template.Spec.Containers {
				if c.Name != "ssegw" {
					continue
				}
				sidecars++
				grace = m.Spec.Template.Spec.TerminationGracePeriodSeconds
				checkArgs(t, file, c.Args)
				for _, e := range c.Env {
					if strings.HasPrefix(e.Name, config.EnvPrefix) && !knownEnv(e.Name) {
						t.Errorf("%s: environment variable %s is not one of the gateway's", file, e.Name)
					}
				}
				if c.LivenessProbe == nil || c.LivenessProbe.HTTPGet.Path != "/healthz" {
					t.Errorf("%s: the liveness probe must GET /healthz", file)
				}
				if c.ReadinessProbe == nil || c.ReadinessProbe.HTTPGet.Path != "/readyz" {
					t.Errorf("%s: the readiness probe must GET /readyz", file)
				}
			}
		}
	}
	if sidecars == 0 {
		t.Fatal("no ssegw container in the manifests")
	}
	if len(configs) != 1 {
		t.Fatalf("%d gateway.yaml config maps, want 1", len(configs))
	}
	// The configuration loads, and the termination grace period outlasts
	// the drain.
	path := filepath.Join(t.TempDir(), "gateway.yaml")
	if err := os.WriteFile(path, []byte(configs[0]), 0o600); err != nil {
		t.Fatal(err)
	}
	fs, loader, _ := newFlagSet()
	if err := fs.Parse([]string{"--config", path}); err != nil {
		t.Fatal(err)
	}
	cfg, err := loader.Load(func(string) (string, bool) { return "", false })
	if err != nil {
		t.Fatalf("the config map's gateway.yaml: %v", err)
	}
	if need := cfg.Drain.Delay + cfg.Drain.Timeout; time.Duration(grace)*time.Second <= need {
		t.Errorf("terminationGracePeriodSeconds %d is not longer than drain.delay + drain.timeout (%v)", grace, need)
	}
}

func knownEnv(name string) bool {
	if name == config.ConfigFileEnv {
		return true
	}
	for _, s := range config.Settings() {
		if s.Env() == name {
			return true
		}
	}
	return false
}
