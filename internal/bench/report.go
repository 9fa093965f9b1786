package bench

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"runtime"
	"strconv"
	"strings"
	"time"
)

// Report is the result of a run.
type Report struct {
	Machine  Machine       `json:"machine"`
	Config   Config        `json:"config"`
	Started  time.Time     `json:"started"`
	Duration time.Duration `json:"duration_ns"`
	// SSEGWDescriptors is where the ssegw of the headline rows has its
	// descriptors from; empty in reports of earlier versions, whose ssegw
	// had the compiled-in Go types.
	SSEGWDescriptors string `json:"ssegw_descriptors,omitempty"`
	// Load is the machine's load average at the start and around each
	// scenario.
	Load LoadCheck `json:"load"`

	T1      []Throughput `json:"t1,omitempty"`
	T2      []Latency    `json:"t2,omitempty"`
	T3      []Density    `json:"t3,omitempty"`
	T4      []Connect    `json:"t4,omitempty"`
	T5      []Fanout     `json:"t5,omitempty"`
	Targets []Target     `json:"targets,omitempty"`
}

// Machine describes where the run took place.
type Machine struct {
	OS, Arch  string
	CPUs      int
	CPUModel  string
	MemoryGiB float64
	Kernel    string
	Go        string
}

// Throughput is the result of T1 for one system and message size.
type Throughput struct {
	System string `json:"system"`
	Size   int    `json:"size"`
	// EventsPerSec is the median of Runs, the events per second of each
	// repetition; Min and Max are their range.
	EventsPerSec    float64   `json:"events_per_sec"`
	EventsPerSecMin float64   `json:"events_per_sec_min"`
	EventsPerSecMax float64   `json:"events_per_sec_max"`
	Runs            []float64 `json:"runs"`
	// CPU seconds per million events, which is CPU µs per event, medians
	// of the repetitions: all processes involved, and each. The gateway's
	// is 0 for direct gRPC.
	CPUPerMillion        float64 `json:"cpu_s_per_million"`
	ClientCPUPerMillion  float64 `json:"client_cpu_s_per_million"`
	BackendCPUPerMillion float64 `json:"backend_cpu_s_per_million"`
	GatewayCPUPerMillion float64 `json:"gateway_cpu_s_per_million"`
	// ClientCPURuns and GatewayCPURuns are the client's and the gateway's
	// CPU µs per event of each repetition.
	ClientCPURuns  []float64 `json:"client_cpu_runs,omitempty"`
	GatewayCPURuns []float64 `json:"gateway_cpu_runs,omitempty"`
	// DirectClientCPUPerMillion is the anchor: the direct gRPC client's
	// CPU µs per message of the same size in the same run.
	// GatewayCPUVsDirectClient is GatewayCPUPerMillion divided by it.
	DirectClientCPUPerMillion float64 `json:"direct_client_cpu_s_per_million"`
	GatewayCPUVsDirectClient  float64 `json:"gateway_cpu_vs_direct_client,omitempty"`
	// GatewayAllocsPerEvent is the heap objects the gateway process
	// allocated per event (median of the repetitions).
	GatewayAllocsPerEvent float64 `json:"gateway_allocs_per_event,omitempty"`
}

// Latency is the result of T2 for one system, in milliseconds.
type Latency struct {
	System   string        `json:"system"`
	Streams  int           `json:"streams"`
	OpenTime time.Duration `json:"open_ns"`
	Samples  int           `json:"samples"`
	Expected int           `json:"expected"`
	Failed   int           `json:"failed"`
	P50      float64       `json:"p50_ms"`
	P90      float64       `json:"p90_ms"`
	P99      float64       `json:"p99_ms"`
	P999     float64       `json:"p999_ms"`
	Max      float64       `json:"max_ms"`
	Mean     float64       `json:"mean_ms"`
	// Curve holds (percentile, milliseconds) points for the plot.
	Curve [][2]float64 `json:"curve"`
	// CPU µs per event received in the measured time: the client (this
	// process), the backend and the gateway (0 for direct gRPC); the
	// anchor, the direct gRPC client's CPU µs per message in the same
	// run; and the gateway's divided by it.
	ClientCPUPerEvent        float64 `json:"client_cpu_us_per_event"`
	BackendCPUPerEvent       float64 `json:"backend_cpu_us_per_event"`
	GatewayCPUPerEvent       float64 `json:"gateway_cpu_us_per_event,omitempty"`
	DirectClientCPUPerEvent  float64 `json:"direct_client_cpu_us_per_event"`
	GatewayCPUVsDirectClient float64 `json:"gateway_cpu_vs_direct_client,omitempty"`
}

// Density is the result of T3 for one gateway and HTTP version.
type Density struct {
	System    string        `json:"system"`
	Protocol  string        `json:"protocol"`
	Requested int           `json:"requested"`
	Streams   int           `json:"streams"`
	Failed    int           `json:"failed"`
	Note      string        `json:"note,omitempty"`
	Ramp      time.Duration `json:"ramp_ns"`
	// Memory of the gateway process per open stream, in bytes, from
	// snapshots after garbage collection before and after the streams
	// opened; and the same for the backend process.
	RSSPerStream        float64 `json:"rss_per_stream"`
	HeapPerStream       float64 `json:"heap_per_stream"`
	StackPerStream      float64 `json:"stack_per_stream"`
	GoroutinesPerStream float64 `json:"goroutines_per_stream"`
	BackendRSSPerStream float64 `json:"backend_rss_per_stream"`
	GatewayRSS          int64   `json:"gateway_rss"`
	// Heartbeat lateness (ssegw only), in milliseconds: the time between
	// two events of a stream less the heartbeat period.
	Heartbeats int     `json:"heartbeats"`
	Complete   int     `json:"complete"` // streams that got every heartbeat waited for
	Late       int     `json:"late"`     // heartbeats more than 100 ms late
	LateP50    float64 `json:"late_p50_ms"`
	LateP99    float64 `json:"late_p99_ms"`
	LateMax    float64 `json:"late_max_ms"`
}

// Fanout is the result of T5 for one system and HTTP version.
type Fanout struct {
	System      string        `json:"system"`
	Protocol    string        `json:"protocol"`
	Requested   int           `json:"requested"`
	Subscribers int           `json:"subscribers"`
	Failed      int           `json:"failed"`
	Ramp        time.Duration `json:"ramp_ns"`
	// BackendCalls is the Feed calls the backend held during the
	// measurement (ssegw; -1 for Centrifugo, which has none).
	BackendCalls int64 `json:"backend_calls"`
	// Memory of the fan-out process per subscriber, in bytes: ssegw's
	// after garbage collection, Centrifugo's as it is.
	RSSPerSubscriber   float64 `json:"rss_per_subscriber"`
	HeapPerSubscriber  float64 `json:"heap_per_subscriber"`
	StackPerSubscriber float64 `json:"stack_per_subscriber"`
	// Events delivered during the measurement, and expected at the rate;
	// subscribers whose stream ended early.
	Events   int64 `json:"events"`
	Expected int64 `json:"expected"`
	Ended    int64 `json:"ended"`
	// CPU of the fan-out process during the measurement: seconds, and µs
	// per delivered event.
	GatewayCPU  float64 `json:"gateway_cpu_s"`
	CPUPerEvent float64 `json:"cpu_us_per_event"`
	// DirectClientCPUPerEvent is the anchor of CPUPerEvent: the direct
	// gRPC client's CPU µs per message of the same run, in the scenario
	// Anchor names (T2, whose streams carry the same ~100-byte messages
	// at a modest rate, or else T1 at 100 B); 0 when neither ran.
	DirectClientCPUPerEvent float64 `json:"direct_client_cpu_us_per_event,omitempty"`
	Anchor                  string  `json:"anchor,omitempty"`
	// Send → receive latency, ms (2% buckets).
	P50  float64 `json:"p50_ms"`
	P90  float64 `json:"p90_ms"`
	P99  float64 `json:"p99_ms"`
	P999 float64 `json:"p999_ms"`
	Max  float64 `json:"max_ms"`
}

// Connect is the result of T4 for one system, in milliseconds.
type Connect struct {
	System  string  `json:"system"`
	Streams int     `json:"streams"`
	ColdP50 float64 `json:"fresh_p50_ms"`
	ColdP99 float64 `json:"fresh_p99_ms"`
	WarmP50 float64 `json:"open_p50_ms"`
	WarmP99 float64 `json:"open_p99_ms"`
	// GatewayCPU is the CPU time of the gateway process per stream, in
	// microseconds, over fresh and open connections and all its clients.
	GatewayCPU float64 `json:"gateway_cpu_us_per_stream,omitempty"`
}

// Target is one of the goals ssegw is held to, checked against a run.
type Target struct {
	Scenario string `json:"scenario"`
	Goal     string `json:"goal"`
	Measured string `json:"measured"`
	Met      bool   `json:"met"`
}

// ReadReport reads a report written by WriteJSON. The targets of a report
// of the current kind (one that names where ssegw's descriptors came
// from) are checked again, so that they are those of this version of the
// bench; an older report keeps the targets of its day.
func ReadReport(r io.Reader) (*Report, error) {
	var rep Report
	if err := json.NewDecoder(r).Decode(&rep); err != nil {
		return nil, fmt.Errorf("reading a report: %w", err)
	}
	if rep.SSEGWDescriptors != "" {
		rep.Targets = checkTargets(&rep)
	}
	return &rep, nil
}

// WriteJSON writes the report as indented JSON.
func (r *Report) WriteJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(r)
}

// describeMachine reads what it can of the machine.
func describeMachine() Machine {
	m := Machine{OS: runtime.GOOS, Arch: runtime.GOARCH, CPUs: runtime.NumCPU(), Go: runtime.Version()}
	if b, err := os.ReadFile("/proc/sys/kernel/osrelease"); err == nil {
		m.Kernel = strings.TrimSpace(string(b))
	}
	m.CPUModel = procField("/proc/cpuinfo", "model name")
	if kb := procField("/proc/meminfo", "MemTotal"); kb != "" {
		if n, err := strconv.ParseFloat(strings.Fields(kb)[0], 64); err == nil {
			m.MemoryGiB = n / (1 << 20)
		}
	}
	return m
}

// procField returns the value of the first "name: value" line of a /proc
// file.
func procField(path, name string) string {
	f, err := os.Open(path)
	if err != nil {
		return ""
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		k, v, ok := strings.Cut(sc.Text(), ":")
		if ok && strings.TrimSpace(k) == name {
			return strings.TrimSpace(v)
		}
	}
	return ""
}
