package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ssegw/ssegw/internal/bench"
)

// TestMain lets the test binary serve as the bench's child processes, as
// the command's binary does.
func TestMain(m *testing.M) {
	bench.MaybeRunChild()
	os.Exit(m.Run())
}

// TestQuickRun runs short throughput, latency and connect scenarios and
// checks that the table, the JSON and the plots cover all the systems.
func TestQuickRun(t *testing.T) {
	if testing.Short() {
		t.Skip("starts the backend and both gateways")
	}
	dir := t.TempDir()
	jsonPath := filepath.Join(dir, "results.json")
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	var stdout, stderr bytes.Buffer
	args := []string{"-quick", "-force", "-scenarios", "t1,t2,t4", "-sizes", "100", "-t2-streams", "20", "-t2-duration", "300ms",
		"-t4-streams", "5", "-json", jsonPath, "-plots", dir}
	if err := run(ctx, args, &stdout, &stderr); err != nil {
		t.Fatalf("ssebench %s: %v\n%s", strings.Join(args, " "), err, stderr.String())
	}
	table := stdout.String()
	for _, want := range []string{"T1 throughput", "T2 latency", "T4 connect", "direct gRPC", "ssegw (sse.Reader)", "ssegw (sseclient)",
		"ssegw (raw SSE)", "ssegw (compiled-in)", "grpc-gateway", "Targets", "Load average"} {
		if !strings.Contains(table, want) {
			t.Errorf("the table lacks %q:\n%s", want, table)
		}
	}

	raw, err := os.ReadFile(jsonPath)
	if err != nil {
		t.Fatal(err)
	}
	var report bench.Report
	if err := json.Unmarshal(raw, &report); err != nil {
		t.Fatal(err)
	}
	systems := func(n int, system func(i int) string) map[string]bool {
		seen := map[string]bool{}
		for i := range n {
			seen[system(i)] = true
		}
		return seen
	}
	all := []string{"direct", "ssegw", "ssegw-sseclient", "grpc-gateway"}
	for name, want := range map[string]struct {
		seen map[string]bool
		ids  []string
	}{
		"T1": {systems(len(report.T1), func(i int) string { return report.T1[i].System }), append(all, "ssegw-raw", "ssegw-compiled")},
		"T2": {systems(len(report.T2), func(i int) string { return report.T2[i].System }), all},
		"T4": {systems(len(report.T4), func(i int) string { return report.T4[i].System }), all},
	} {
		for _, id := range want.ids {
			if !want.seen[id] {
				t.Errorf("%s has no result for %s", name, id)
			}
		}
	}
	for _, r := range report.T1 {
		if r.EventsPerSec <= 0 || r.CPUPerMillion <= 0 || r.DirectClientCPUPerMillion <= 0 {
			t.Errorf("T1 %s: %v events/s, %v CPU s per million events, anchor %v", r.System, r.EventsPerSec, r.CPUPerMillion, r.DirectClientCPUPerMillion)
		}
		if r.System != "direct" && (r.GatewayCPUPerMillion <= 0 || r.GatewayCPUVsDirectClient <= 0) {
			t.Errorf("T1 %s: gateway %v CPU s per million events, %v× the direct client's", r.System, r.GatewayCPUPerMillion, r.GatewayCPUVsDirectClient)
		}
	}
	for _, l := range report.T2 {
		if l.Samples == 0 || l.P50 <= 0 || l.Failed > 0 || l.ClientCPUPerEvent <= 0 {
			t.Errorf("T2 %s: %d samples, p50 %v ms, %d streams failed, client CPU %v µs per event", l.System, l.Samples, l.P50, l.Failed, l.ClientCPUPerEvent)
		}
		if l.System != "direct" && l.GatewayCPUPerEvent <= 0 {
			t.Errorf("T2 %s: gateway CPU %v µs per event", l.System, l.GatewayCPUPerEvent)
		}
	}
	for _, c := range report.T4 {
		if c.ColdP50 <= 0 || c.WarmP50 <= 0 {
			t.Errorf("T4 %s: %v ms and %v ms", c.System, c.ColdP50, c.WarmP50)
		}
	}
	for _, name := range []string{"throughput.svg", "latency.svg"} {
		svg, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.HasPrefix(svg, []byte("<svg")) || !bytes.Contains(svg, []byte("grpc-gateway")) {
			t.Errorf("%s is not a plot of the systems:\n%s", name, svg)
		}
	}
}

func TestBadFlags(t *testing.T) {
	var stdout, stderr bytes.Buffer
	for _, args := range [][]string{
		{"-scenarios", "t9"},
		{"-sizes", "big"},
		{"-t3-http", "h3", "-scenarios", "t3"},
		{"extra"},
		{"-max-load", "-1"},
	} {
		if err := run(context.Background(), args, &stdout, &stderr); err == nil {
			t.Errorf("ssebench %q: no error", args)
		}
	}
}
