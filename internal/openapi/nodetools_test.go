package openapi_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

// requireNodeToolsEnv, set to 1 (as CI does), makes the tests that run the
// pinned npm tools fail instead of skipping when they are not installed.
const requireNodeToolsEnv = "SSEGW_REQUIRE_NODE_TOOLS"

// toolsDir is tools/openapi: the pinned npm tools (npm ci installs them)
// and their configuration.
func toolsDir(t *testing.T) string {
	t.Helper()
	dir, err := filepath.Abs(filepath.Join("..", "..", "tools", "openapi"))
	if err != nil {
		t.Fatal(err)
	}
	return dir
}

// nodeTool returns the path of an installed npm tool of tools/openapi. It
// skips the test when node or the tool is missing, unless
// SSEGW_REQUIRE_NODE_TOOLS=1.
func nodeTool(t *testing.T, name string) string {
	t.Helper()
	missing := func(format string, args ...any) {
		t.Helper()
		if os.Getenv(requireNodeToolsEnv) == "1" {
			t.Fatalf(format+" ("+requireNodeToolsEnv+"=1)", args...)
		}
		t.Skipf(format, args...)
	}
	if _, err := exec.LookPath("node"); err != nil {
		missing("node is not installed")
	}
	bin := filepath.Join(toolsDir(t), "node_modules", ".bin", name)
	if _, err := os.Stat(bin); err != nil {
		missing("%s is not installed: run npm ci in tools/openapi", name)
	}
	return bin
}

// runTool runs an npm tool in dir and fails the test, with its output, when
// it fails.
func runTool(t *testing.T, dir, name string, args ...string) string {
	t.Helper()
	cmd := exec.Command(nodeTool(t, name), args...)
	cmd.Dir = dir
	// No telemetry and no update check: the tools run offline.
	cmd.Env = append(os.Environ(), "REDOCLY_TELEMETRY=off", "REDOCLY_SUPPRESS_UPDATE_NOTICE=true", "NO_COLOR=1")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
	}
	return string(out)
}

// goCommand returns the go command that runs the tests.
func goCommand(t *testing.T) string {
	t.Helper()
	if p := filepath.Join(runtime.GOROOT(), "bin", "go"); fileExists(p) {
		return p
	}
	p, err := exec.LookPath("go")
	if err != nil {
		t.Skip("no go command")
	}
	return p
}

func fileExists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}
