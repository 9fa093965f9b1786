package bench

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"runtime"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"
)

// Report is the result of a run.
type Report struct {
	Machine  Machine       `json:"machine"`
	Config   Config        `json:"config"`
	Started  time.Time     `json:"started"`
	Duration time.Duration `json:"duration_ns"`

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
	// EventsPerSec is the median of Runs.
	EventsPerSec float64   `json:"events_per_sec"`
	Runs         []float64 `json:"runs"`
	// CPU seconds per million events: all processes involved, and each.
	CPUPerMillion        float64 `json:"cpu_s_per_million"`
	ClientCPUPerMillion  float64 `json:"client_cpu_s_per_million"`
	BackendCPUPerMillion float64 `json:"backend_cpu_s_per_million"`
	GatewayCPUPerMillion float64 `json:"gateway_cpu_s_per_million"`
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

// ReadReport reads a report written by WriteJSON.
func ReadReport(r io.Reader) (*Report, error) {
	var rep Report
	if err := json.NewDecoder(r).Decode(&rep); err != nil {
		return nil, fmt.Errorf("reading a report: %w", err)
	}
	return &rep, nil
}

// WriteJSON writes the report as indented JSON.
func (r *Report) WriteJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(r)
}

// WriteTable writes the report as plain-text tables.
func (r *Report) WriteTable(w io.Writer) error {
	var buf bytes.Buffer
	m := r.Machine
	fmt.Fprintf(&buf, "ssebench %s: %s/%s, %d CPUs (%s), %.1f GiB, Linux %s, %s; took %v\n",
		r.Started.UTC().Format("2006-01-02 15:04 UTC"), m.OS, m.Arch, m.CPUs, m.CPUModel, m.MemoryGiB, m.Kernel, m.Go, r.Duration.Round(time.Second))
	fmt.Fprintf(&buf, "One run on one machine; the numbers move by several per cent from run to run.\n")
	tw := tabwriter.NewWriter(&buf, 0, 0, 2, ' ', tabwriter.AlignRight)
	line := func(cells ...string) { fmt.Fprintln(tw, strings.Join(cells, "\t")+"\t") }

	if len(r.T1) > 0 {
		fmt.Fprintf(&buf, "\nT1 throughput: one stream, the backend sending as fast as it can; median of %d runs of %v.\n", r.Config.Reps, r.Config.T1Duration)
		fmt.Fprintf(&buf, "CPU: seconds per million events, of all processes (client + backend + gateway).\n")
		line("size", "system", "events/s", "÷ direct", "ssegw ÷", "CPU s/M", "client", "backend", "gateway")
		for _, t := range r.T1 {
			direct := find(r.T1, func(x Throughput) bool { return x.System == sysDirect && x.Size == t.Size })
			ssegw := find(r.T1, func(x Throughput) bool { return x.System == sysSSEGW && x.Size == t.Size })
			gw := "-"
			if t.GatewayCPUPerMillion > 0 {
				gw = f2(t.GatewayCPUPerMillion)
			}
			line(sizeName(t.Size), systemNames[t.System], thousands(t.EventsPerSec),
				ratio(t.EventsPerSec, direct.EventsPerSec), ratio(ssegw.EventsPerSec, t.EventsPerSec),
				f2(t.CPUPerMillion), f2(t.ClientCPUPerMillion), f2(t.BackendCPUPerMillion), gw)
		}
		tw.Flush()
	}

	if len(r.T2) > 0 {
		fmt.Fprintf(&buf, "\nT2 latency, backend send → client receive, ms: %d streams at %g messages/s each, %v measured.\n",
			r.Config.T2Streams, r.Config.T2Rate, r.Config.T2Duration)
		line("system", "p50", "p90", "p99", "p99.9", "max", "samples", "expected", "failed")
		for _, l := range r.T2 {
			line(systemNames[l.System], f3(l.P50), f3(l.P90), f3(l.P99), f3(l.P999), f3(l.Max),
				strconv.Itoa(l.Samples), strconv.Itoa(l.Expected), strconv.Itoa(l.Failed))
		}
		tw.Flush()
	}

	if len(r.T3) > 0 {
		fmt.Fprintf(&buf, "\nT3 density: idle streams; memory of the gateway process per stream, KiB, after GC; heartbeats every %v.\n", r.Config.Heartbeat)
		fmt.Fprintf(&buf, "floor: a net/http handler that only waits on its gRPC stream. backend: the backend process's RSS per stream.\n")
		fmt.Fprintf(&buf, "Heartbeat lateness: the gap between two events of a stream less the period, ms.\n")
		line("system", "HTTP", "streams", "RSS", "heap", "stacks", "goroutines", "backend", "late p50", "late p99", "late max", ">100ms", "all beats")
		for _, d := range r.T3 {
			late := []string{"-", "-", "-", "-", "-"}
			if d.Heartbeats > 0 {
				late = []string{f1(d.LateP50), f1(d.LateP99), f1(d.LateMax), strconv.Itoa(d.Late), fmt.Sprintf("%d/%d", d.Complete, d.Streams)}
			}
			line(append([]string{systemNames[d.System], d.Protocol, strconv.Itoa(d.Streams),
				f1(d.RSSPerStream / 1024), f1(d.HeapPerStream / 1024), f1(d.StackPerStream / 1024), f1(d.GoroutinesPerStream),
				f1(d.BackendRSSPerStream / 1024)}, late...)...)
		}
		tw.Flush()
		for _, d := range r.T3 {
			if d.Note != "" {
				fmt.Fprintf(&buf, "%s over %s: %s.\n", systemNames[d.System], d.Protocol, d.Note)
			}
		}
	}

	if len(r.T4) > 0 {
		fmt.Fprintf(&buf, "\nT4 connect → first event, ms, %d streams each: on a fresh connection, and on one already open.\n", r.Config.T4Iterations)
		fmt.Fprintf(&buf, "gateway CPU: CPU time of the gateway process per stream, µs.\n")
		line("system", "fresh p50", "÷ direct", "fresh p99", "open p50", "÷ direct", "open p99", "gateway CPU")
		direct := find(r.T4, func(x Connect) bool { return x.System == sysDirect })
		for _, c := range r.T4 {
			cpu := "-"
			if c.GatewayCPU > 0 {
				cpu = strconv.FormatFloat(c.GatewayCPU, 'f', 0, 64)
			}
			line(systemNames[c.System], f3(c.ColdP50), ratio(c.ColdP50, direct.ColdP50), f3(c.ColdP99),
				f3(c.WarmP50), ratio(c.WarmP50, direct.WarmP50), f3(c.WarmP99), cpu)
		}
		tw.Flush()
	}

	if len(r.T5) > 0 {
		fmt.Fprintf(&buf, "\nT5 fan-out: %d subscribers of one feed at %g events/s, %v measured: ssegw sharing one backend call, Centrifugo v6 (uni_sse) published to through its server API.\n", r.Config.T5Subscribers, r.Config.T5Rate, r.Config.T5Duration)
		fmt.Fprintf(&buf, "RSS per subscriber, KiB (ssegw after GC); CPU of the fan-out process per delivered event, µs; send → receive latency, ms.\n")
		line("system", "HTTP", "subscribers", "backend calls", "RSS", "CPU/event", "p50", "p90", "p99", "p99.9", "max", "events", "expected")
		for _, f := range r.T5 {
			calls := "-"
			if f.BackendCalls >= 0 {
				calls = strconv.FormatInt(f.BackendCalls, 10)
			}
			line(systemNames[f.System], f.Protocol, strconv.Itoa(f.Subscribers), calls, f1(f.RSSPerSubscriber/1024), f2(f.CPUPerEvent),
				f2(f.P50), f2(f.P90), f2(f.P99), f2(f.P999), f2(f.Max), strconv.FormatInt(f.Events, 10), strconv.FormatInt(f.Expected, 10))
		}
		tw.Flush()
	}

	if len(r.Targets) > 0 {
		fmt.Fprintf(&buf, "\nTargets for ssegw (read with sse.Reader):\n")
		for _, t := range r.Targets {
			met := "MISSED"
			if t.Met {
				met = "met"
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t\n", t.Scenario, t.Goal, t.Measured, met)
		}
		tw.Flush()
	}
	_, err := w.Write(buf.Bytes())
	return err
}

// checkTargets evaluates the targets of ssegw against the report.
func checkTargets(r *Report) []Target {
	var out []Target
	for _, size := range r.Config.Sizes {
		get := func(id string) (Throughput, bool) {
			t := find(r.T1, func(x Throughput) bool { return x.System == id && x.Size == size })
			return t, t.System != ""
		}
		s, ok1 := get(sysSSEGW)
		d, ok2 := get(sysDirect)
		g, ok3 := get(sysGRPCGW)
		if ok1 && ok2 {
			x := s.EventsPerSec / d.EventsPerSec
			out = append(out, Target{"T1 " + sizeName(size), "≥ 0.7× direct gRPC events/s", fmt.Sprintf("%.2f×", x), x >= 0.7})
		}
		if ok1 && ok3 {
			x := s.EventsPerSec / g.EventsPerSec
			out = append(out, Target{"T1 " + sizeName(size), "≥ 2× grpc-gateway events/s", fmt.Sprintf("%.2f×", x), x >= 2})
		}
	}
	s2 := find(r.T2, func(x Latency) bool { return x.System == sysSSEGW })
	d2 := find(r.T2, func(x Latency) bool { return x.System == sysDirect })
	if s2.System != "" && d2.System != "" {
		out = append(out, Target{"T2", "p99 ≤ direct gRPC p99 + 5 ms",
			fmt.Sprintf("%.2f ms vs %.2f + 5 ms", s2.P99, d2.P99), s2.P99 <= d2.P99+5})
	}
	for _, d := range r.T3 {
		if d.System != sysSSEGW {
			continue
		}
		perStream := d.RSSPerStream
		out = append(out, Target{"T3 " + d.Protocol, "≤ 16 KiB RSS per stream in the gateway",
			fmt.Sprintf("%.1f KiB (%d streams)", perStream/1024, d.Streams), perStream <= 16<<10})
		if d.Heartbeats > 0 || r.Config.T3Beats > 0 {
			out = append(out, Target{"T3 " + d.Protocol, "no heartbeat late by > 100 ms",
				fmt.Sprintf("max %.1f ms, %d late, %d/%d streams got all %d", d.LateMax, d.Late, d.Complete, d.Streams, r.Config.T3Beats),
				d.Late == 0 && d.Complete == d.Streams})
		}
	}
	for _, f := range r.T5 {
		if f.System != sysSSEGW {
			continue
		}
		out = append(out, Target{"T5 " + f.Protocol, "1 backend call for every subscriber", strconv.FormatInt(f.BackendCalls, 10), f.BackendCalls == 1})
		limit := 24 << 10
		if f.Protocol == "h2" {
			limit = 12 << 10
		}
		out = append(out, Target{"T5 " + f.Protocol, fmt.Sprintf("≤ %d KiB RSS per subscriber", limit>>10),
			fmt.Sprintf("%.1f KiB (%d subscribers)", f.RSSPerSubscriber/1024, f.Subscribers), f.RSSPerSubscriber <= float64(limit)})
		cf := find(r.T5, func(x Fanout) bool { return x.System == sysCentrifugo && x.Protocol == f.Protocol })
		if cf.System != "" {
			out = append(out,
				Target{"T5 " + f.Protocol, "CPU per event ≤ Centrifugo's", fmt.Sprintf("%.2f µs vs %.2f µs", f.CPUPerEvent, cf.CPUPerEvent), f.CPUPerEvent <= cf.CPUPerEvent},
				Target{"T5 " + f.Protocol, "p99 ≤ Centrifugo's", fmt.Sprintf("%.2f ms vs %.2f ms", f.P99, cf.P99), f.P99 <= cf.P99})
		}
	}
	s4 := find(r.T4, func(x Connect) bool { return x.System == sysSSEGW })
	d4 := find(r.T4, func(x Connect) bool { return x.System == sysDirect })
	if s4.System != "" && d4.System != "" {
		out = append(out,
			Target{"T4 fresh", "median ≤ 2× direct gRPC", fmt.Sprintf("%.2f×", s4.ColdP50/d4.ColdP50), s4.ColdP50 <= 2*d4.ColdP50},
			Target{"T4 open", "median ≤ 2× direct gRPC", fmt.Sprintf("%.2f×", s4.WarmP50/d4.WarmP50), s4.WarmP50 <= 2*d4.WarmP50})
	}
	return out
}

// find returns the first element of xs for which ok holds, or the zero
// value.
func find[T any](xs []T, ok func(T) bool) T {
	for _, x := range xs {
		if ok(x) {
			return x
		}
	}
	var zero T
	return zero
}

func sizeName(n int) string {
	if n >= 1024 && n%1024 == 0 {
		return fmt.Sprintf("%d KiB", n/1024)
	}
	return fmt.Sprintf("%d B", n)
}

func ratio(a, b float64) string {
	if a == 0 || b == 0 {
		return "-"
	}
	return fmt.Sprintf("%.2f×", a/b)
}

func f1(x float64) string { return strconv.FormatFloat(x, 'f', 1, 64) }
func f2(x float64) string { return strconv.FormatFloat(x, 'f', 2, 64) }
func f3(x float64) string { return strconv.FormatFloat(x, 'f', 3, 64) }

// thousands formats x rounded, with commas between groups of digits.
func thousands(x float64) string {
	s := strconv.FormatInt(int64(x+0.5), 10)
	var out []byte
	for i := range len(s) {
		if i > 0 && (len(s)-i)%3 == 0 {
			out = append(out, ',')
		}
		out = append(out, s[i])
	}
	return string(out)
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
