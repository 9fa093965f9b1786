package bench

import (
	"bytes"
	"encoding/xml"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestPercentileAndMedian(t *testing.T) {
	sorted := []time.Duration{1, 2, 3, 4, 5, 6, 7, 8, 9, 10}
	for _, tc := range []struct {
		p    float64
		want time.Duration
	}{{0, 1}, {0.5, 5}, {0.9, 9}, {0.99, 10}, {1, 10}} {
		if got := percentile(sorted, tc.p); got != tc.want {
			t.Errorf("percentile %v: %v, want %v", tc.p, got, tc.want)
		}
	}
	if got := median([]float64{3, 1, 2}); got != 2 {
		t.Errorf("median of 3 1 2: %v", got)
	}
	if got := median([]float64{4, 1, 2, 3}); got != 2.5 {
		t.Errorf("median of 4 1 2 3: %v", got)
	}
	if got := split(10, 3); got[0]+got[1]+got[2] != 10 || got[0] != 4 || got[2] != 3 {
		t.Errorf("split 10 in 3: %v", got)
	}
}

// sampleReport is a report with every scenario, as a run writes it.
func sampleReport() *Report {
	cfg := DefaultConfig()
	curve := func(scale float64) [][2]float64 {
		var c [][2]float64
		for _, p := range curvePercentiles(100000) {
			c = append(c, [2]float64{p * 100, scale * (0.1 + p)})
		}
		return c
	}
	r := &Report{Config: cfg, Machine: describeMachine(), Started: time.Now(), Duration: time.Minute}
	for _, size := range cfg.Sizes {
		r.T1 = append(r.T1,
			Throughput{System: sysDirect, Size: size, EventsPerSec: 800000, CPUPerMillion: 2},
			Throughput{System: sysSSEGW, Size: size, EventsPerSec: 250000, CPUPerMillion: 7, GatewayCPUPerMillion: 3},
			Throughput{System: sysGRPCGW, Size: size, EventsPerSec: 100000, CPUPerMillion: 16, GatewayCPUPerMillion: 9})
	}
	r.T2 = []Latency{
		{System: sysDirect, P50: 0.1, P99: 0.4, Samples: 100000, Curve: curve(1)},
		{System: sysSSEGW, P50: 0.3, P99: 1.0, Samples: 100000, Curve: curve(2)},
		{System: sysGRPCGW, P50: 0.3, P99: 2.5, Samples: 100000, Curve: curve(3)},
	}
	r.T3 = []Density{
		{System: sysSSEGW, Protocol: "h1", Streams: 19900, RSSPerStream: 43 << 10, HeapPerStream: 23 << 10, StackPerStream: 20 << 10,
			Heartbeats: 39800, Complete: 19900, LateMax: 14, Note: "19900 of 20000 streams"},
		{System: sysGRPCGW, Protocol: "h1", Streams: 19900, RSSPerStream: 41 << 10},
		{System: sysFloor, Protocol: "h1", Streams: 19900, RSSPerStream: 33 << 10},
	}
	r.T4 = []Connect{
		{System: sysDirect, ColdP50: 0.6, WarmP50: 0.2},
		{System: sysSSEGW, ColdP50: 0.7, WarmP50: 0.5, GatewayCPU: 400},
	}
	r.Targets = checkTargets(r)
	return r
}

func TestTargets(t *testing.T) {
	met := map[string]bool{}
	for _, target := range sampleReport().Targets {
		met[target.Scenario+" "+target.Goal] = target.Met
	}
	for goal, want := range map[string]bool{
		"T1 100 B ≥ 0.7× direct gRPC events/s":         false,
		"T1 100 B ≥ 2× grpc-gateway events/s":          true,
		"T2 p99 ≤ direct gRPC p99 + 5 ms":              true,
		"T3 h1 ≤ 16 KiB RSS per stream in the gateway": false,
		"T3 h1 no heartbeat late by > 100 ms":          true,
		"T4 fresh median ≤ 2× direct gRPC":             true,
		"T4 open median ≤ 2× direct gRPC":              false,
		"T1 4 KiB ≥ 2× grpc-gateway events/s":          true,
		"T1 4 KiB ≥ 0.7× direct gRPC events/s":         false,
	} {
		got, ok := met[goal]
		if !ok {
			t.Errorf("no target %q in %v", goal, met)
		} else if got != want {
			t.Errorf("target %q met: %v, want %v", goal, got, want)
		}
	}
}

func TestTableAndJSONRoundTrip(t *testing.T) {
	r := sampleReport()
	var js bytes.Buffer
	if err := r.WriteJSON(&js); err != nil {
		t.Fatal(err)
	}
	back, err := ReadReport(&js)
	if err != nil {
		t.Fatal(err)
	}
	var table bytes.Buffer
	if err := back.WriteTable(&table); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"T1 throughput", "T2 latency", "T3 density", "T4 connect",
		"floor: net/http + gRPC", "19900 of 20000 streams", "2.50×", "MISSED", "met",
	} {
		if !strings.Contains(table.String(), want) {
			t.Errorf("the table lacks %q:\n%s", want, table.String())
		}
	}
}

func TestPlotsAreSVG(t *testing.T) {
	dir := t.TempDir()
	files, err := sampleReport().WritePlots(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(files) != 3 {
		t.Fatalf("plots %v, want throughput, latency and density", files)
	}
	for _, name := range []string{"throughput.svg", "latency.svg", "density.svg"} {
		b, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		dec := xml.NewDecoder(bytes.NewReader(b))
		for {
			_, err := dec.Token()
			if err == io.EOF {
				break
			}
			if err != nil {
				t.Fatalf("%s is not well-formed XML: %v", name, err)
			}
		}
		if !bytes.Contains(b, []byte("ssegw (sse.Reader)")) {
			t.Errorf("%s has no ssegw series", name)
		}
	}
}
