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
	r.SSEGWDescriptors = "a descriptor set file"
	r.Load = LoadCheck{Limit: 1, Start: LoadAvg{0.4, 0.5, 0.6},
		Scenarios: []ScenarioLoad{{Scenario: "T1", Before: LoadAvg{One: 0.4}, After: LoadAvg{One: 1.9}, OtherCPUs: new(0.12)}}}
	for _, size := range cfg.Sizes {
		// The 4 KiB gateway costs 1.9× the client, under its target of 2×,
		// and the 100 B one 3×, over 1.6×.
		anchor, gw := 1.0, 3.0
		if size == 4096 {
			anchor, gw = 5, 9.5
		}
		rows := []Throughput{
			{System: sysDirect, Size: size, EventsPerSec: 800000, EventsPerSecMin: 780000, EventsPerSecMax: 810000,
				Runs: []float64{780000, 800000, 810000}, CPUPerMillion: 2, ClientCPUPerMillion: anchor},
			{System: sysSSEGW, Size: size, EventsPerSec: 350000, CPUPerMillion: 7, GatewayCPUPerMillion: gw,
				GatewayCPURuns: []float64{gw - 0.1, gw, gw + 0.2}, GatewayAllocsPerEvent: 1.5},
			{System: sysSSERaw, Size: size, EventsPerSec: 700000, CPUPerMillion: 5, GatewayCPUPerMillion: gw},
			{System: sysSSEClient, Size: size, EventsPerSec: 250000, CPUPerMillion: 7, GatewayCPUPerMillion: gw},
			{System: sysSSEGWCompiled, Size: size, EventsPerSec: 360000, CPUPerMillion: 6, GatewayCPUPerMillion: gw - 0.5},
			{System: sysGRPCGW, Size: size, EventsPerSec: 100000, CPUPerMillion: 16, GatewayCPUPerMillion: 9},
		}
		for i := range rows {
			rows[i].DirectClientCPUPerMillion = anchor
		}
		r.T1 = append(r.T1, rows...)
	}
	r.T2 = []Latency{
		{System: sysDirect, P50: 0.1, P99: 0.4, Samples: 100000, Curve: curve(1), ClientCPUPerEvent: 4, DirectClientCPUPerEvent: 4},
		{System: sysSSEGW, P50: 0.3, P99: 1.0, Samples: 100000, Curve: curve(2), ClientCPUPerEvent: 9, GatewayCPUPerEvent: 17, DirectClientCPUPerEvent: 4},
		{System: sysGRPCGW, P50: 0.3, P99: 2.5, Samples: 100000, Curve: curve(3), ClientCPUPerEvent: 9, GatewayCPUPerEvent: 25, DirectClientCPUPerEvent: 4},
	}
	r.T3 = []Density{
		{System: sysSSEGW, Protocol: "h1", Streams: 19900, RSSPerStream: 43 << 10, HeapPerStream: 23 << 10, StackPerStream: 20 << 10,
			Heartbeats: 39800, Complete: 19900, LateMax: 14, Note: "19900 of 20000 streams"},
		{System: sysGRPCGW, Protocol: "h1", Streams: 19900, RSSPerStream: 41 << 10},
		{System: sysFloor, Protocol: "h1", Streams: 19900, RSSPerStream: 33 << 10},
		{System: sysSSEGW, Protocol: "h2", Streams: 20000, RSSPerStream: 21 << 10, HeapPerStream: 12 << 10, StackPerStream: 8 << 10},
		{System: sysFloor, Protocol: "h2", Streams: 20000, RSSPerStream: 20 << 10},
	}
	r.T5 = []Fanout{
		{System: sysSSEGW, Protocol: "h1", Subscribers: 10000, BackendCalls: 1, RSSPerSubscriber: 30 << 10, CPUPerEvent: 2, DirectClientCPUPerEvent: 4, Anchor: "T2", P99: 5},
		{System: sysCentrifugo, Protocol: "h1", Subscribers: 10000, BackendCalls: -1, RSSPerSubscriber: 70 << 10, CPUPerEvent: 3, DirectClientCPUPerEvent: 4, Anchor: "T2", P99: 4},
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
		"T1 100 B gateway CPU per event ≤ 1.6× the direct gRPC client's per message": false,
		"T1 4 KiB gateway CPU per event ≤ 2× the direct gRPC client's per message":   true,
		"T1 100 B ssegw (raw SSE) ≥ 0.8× direct gRPC events/s":                       true,
		"T1 100 B ssegw (sse.Reader) ≥ 3× grpc-gateway events/s":                     true,
		"T1 4 KiB ssegw (sseclient) ≥ 3× grpc-gateway events/s":                      false,
		"T1 4 KiB ≤ 2 allocations per event in the gateway":                          true,
		"T3 h1 ≤ 32 KiB RSS per idle stream in the gateway":                          false,
		"T3 h2 ≤ 22 KiB RSS per idle stream in the gateway":                          true,
		"T5 h1 one backend call for every subscriber":                                true,
		"T5 h1 ≤ 24 KiB RSS per subscriber in the gateway":                           false,
		"T5 h1 CPU per delivered event ≤ Centrifugo's":                               true,
		"T5 h1 p99 send → receive ≤ Centrifugo's":                                    false,
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
		"T1 throughput", "T2 latency", "T3 density", "T4 connect", "T5 fan-out",
		"floor: net/http + gRPC", "19900 of 20000 streams", "MISSED", "met",
		"ssegw (raw SSE)", "ssegw (compiled-in)", "780,000–810,000", "2.90–3.20", "3.00×", "1.90×", "4.25×",
		`ssegw's descriptors: a descriptor set file (dynamic messages), as deployed, except in "ssegw (compiled-in)".`,
		"0.40 0.50 0.60", "T1 0.40 → 1.90", "other work than the bench's during each scenario (steal time included): T1 0.12", "in T2 of this run",
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
	if len(files) != 4 {
		t.Fatalf("plots %v, want throughput, latency, density and fan-out", files)
	}
	for _, name := range []string{"throughput.svg", "latency.svg", "density.svg", "fanout.svg"} {
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
