package bench

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"time"
)

// Scenario names.
const (
	T1 = "t1" // throughput
	T2 = "t2" // latency
	T3 = "t3" // density
	T4 = "t4" // connect to first event
	T5 = "t5" // one feed fanned out to many subscribers
)

// Config says what to measure and for how long.
type Config struct {
	// Scenarios to run, some of T1, T2, T3, T4, T5.
	Scenarios []string `json:"scenarios"`
	// SSEClient adds ssegw consumed with sseclient to T1, T2 and T4.
	SSEClient bool `json:"sseclient"`

	// MaxLoad is the highest 1-minute load average per CPU at which the
	// run, and each scenario, starts; above it the run fails with
	// ErrBusy, after waiting up to LoadSettle before each scenario for
	// the load to come down. Force runs anyway, and says so in the
	// report.
	MaxLoad    float64       `json:"max_load_per_cpu"`
	LoadSettle time.Duration `json:"load_settle_ns"`
	Force      bool          `json:"force"`

	// T1: message sizes in bytes; repetitions of each measurement (the
	// median and the range are reported); warm-up and measured time of
	// each.
	Sizes      []int         `json:"sizes"`
	Reps       int           `json:"reps"`
	T1Warmup   time.Duration `json:"t1_warmup_ns"`
	T1Duration time.Duration `json:"t1_duration_ns"`

	// T2: concurrent streams, messages per second on each, warm-up once
	// all are open, and measured time.
	T2Streams  int           `json:"t2_streams"`
	T2Rate     float64       `json:"t2_rate"`
	T2Warmup   time.Duration `json:"t2_warmup_ns"`
	T2Duration time.Duration `json:"t2_duration_ns"`

	// T3: idle streams, ssegw's heartbeat period, the heartbeats to wait
	// for on every stream, the streams per client process, and the HTTP
	// versions to run it over ("h1": a connection per stream, "h2": many
	// streams per connection).
	T3Streams   int           `json:"t3_streams"`
	Heartbeat   time.Duration `json:"heartbeat_ns"`
	T3Beats     int           `json:"t3_beats"`
	T3PerWorker int           `json:"t3_per_worker"`
	T3Protocols []string      `json:"t3_protocols"`

	// T4: streams opened one after the other by each system, on a fresh
	// connection and on a connection in use already.
	T4Iterations int `json:"t4_iterations"`

	// T5: subscribers of one shared feed, its events per second, the
	// subscribers per client process, the HTTP versions, warm-up and
	// measured time; Centrifugo's binary (empty: built from
	// tools/centrifugo).
	T5Subscribers int           `json:"t5_subscribers"`
	T5Rate        float64       `json:"t5_rate"`
	T5PerWorker   int           `json:"t5_per_worker"`
	T5Protocols   []string      `json:"t5_protocols"`
	T5Warmup      time.Duration `json:"t5_warmup_ns"`
	T5Duration    time.Duration `json:"t5_duration_ns"`
	Centrifugo    string        `json:"-"`

	// CPUProfile and MemProfile, when set, are the prefixes of the CPU and
	// heap profiles that each child process writes, as PREFIX.ROLE.
	CPUProfile string `json:"-"`
	MemProfile string `json:"-"`

	// Progress receives a line for each step; nil discards them.
	Progress io.Writer `json:"-"`
}

// DefaultConfig is the full run, a few minutes on two cores.
func DefaultConfig() Config {
	return Config{
		Scenarios:    []string{T1, T2, T3, T4, T5},
		SSEClient:    true,
		MaxLoad:      0.5,
		LoadSettle:   2 * time.Minute,
		Sizes:        []int{100, 4096},
		Reps:         5,
		T1Warmup:     500 * time.Millisecond,
		T1Duration:   2 * time.Second,
		T2Streams:    1000,
		T2Rate:       10,
		T2Warmup:     time.Second,
		T2Duration:   10 * time.Second,
		T3Streams:    20000,
		Heartbeat:    15 * time.Second,
		T3Beats:      2,
		T3PerWorker:  5000,
		T3Protocols:  []string{"h1", "h2"},
		T4Iterations: 200,

		T5Subscribers: 10000,
		T5Rate:        10,
		T5PerWorker:   5000,
		T5Protocols:   []string{"h1", "h2"},
		T5Warmup:      5 * time.Second,
		T5Duration:    30 * time.Second,
	}
}

// QuickConfig is a run of a few seconds per scenario, for smoke tests and
// CI: the numbers it gives are noisy.
func QuickConfig() Config {
	c := DefaultConfig()
	c.Reps = 1
	c.T1Warmup = 100 * time.Millisecond
	c.T1Duration = 300 * time.Millisecond
	c.T2Streams = 50
	c.T2Warmup = 200 * time.Millisecond
	c.T2Duration = time.Second
	c.T3Streams = 200
	c.Heartbeat = time.Second
	c.T3Beats = 1
	c.T3Protocols = []string{"h1"}
	c.T4Iterations = 10
	c.T5Subscribers = 200
	c.T5Warmup = time.Second
	c.T5Duration = 3 * time.Second
	return c
}

func (c *Config) has(scenario string) bool { return slices.Contains(c.Scenarios, scenario) }

func (c *Config) validate() error {
	for _, s := range c.Scenarios {
		if !slices.Contains([]string{T1, T2, T3, T4, T5}, s) {
			return fmt.Errorf("unknown scenario %q (want t1, t2, t3, t4, t5)", s)
		}
	}
	for _, p := range c.T3Protocols {
		if p != "h1" && p != "h2" {
			return fmt.Errorf("unknown T3 protocol %q (want h1, h2)", p)
		}
	}
	for _, p := range c.T5Protocols {
		if p != "h1" && p != "h2" {
			return fmt.Errorf("unknown T5 protocol %q (want h1, h2)", p)
		}
	}
	switch {
	case len(c.Scenarios) == 0:
		return errors.New("no scenario to run")
	case c.MaxLoad <= 0:
		return errors.New("the highest load average per CPU must be above 0")
	case c.has(T1) && (len(c.Sizes) == 0 || c.Reps < 1 || c.T1Duration <= 0):
		return errors.New("T1 needs sizes, at least one repetition and a duration")
	case c.has(T2) && (c.T2Streams < 1 || c.T2Rate <= 0 || c.T2Duration <= 0):
		return errors.New("T2 needs streams, a rate and a duration")
	case c.has(T3) && (c.T3Streams < 1 || c.Heartbeat <= 0 || c.T3PerWorker < 1 || len(c.T3Protocols) == 0):
		return errors.New("T3 needs streams, a heartbeat period, streams per worker and a protocol")
	case c.has(T4) && c.T4Iterations < 2:
		return errors.New("T4 needs at least two iterations")
	case c.has(T5) && (c.T5Subscribers < 1 || c.T5Rate <= 0 || c.T5PerWorker < 1 || c.T5Duration <= 0 || len(c.T5Protocols) == 0):
		return errors.New("T5 needs subscribers, a rate, subscribers per worker, a duration and a protocol")
	}
	return nil
}

// bench is one run in progress.
type bench struct {
	cfg           Config
	backend       *child
	ssegw         *child // descriptors from a descriptor set, as deployed
	ssegwCompiled *child // the bench proto's Go types compiled in; only for T1
	grpcgw        *child
	floor         *child    // only for T3
	systems       []*system // in table order
	report        *Report
	// readLoad reads the load average, every loadPoll while waiting for
	// it to come down.
	readLoad func() (LoadAvg, error)
	loadPoll time.Duration
}

// Run starts the backend and the gateways, runs the scenarios of cfg, and
// returns the report.
func Run(ctx context.Context, cfg Config) (*Report, error) {
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	if cfg.Progress == nil {
		cfg.Progress = io.Discard
	}
	b := &bench{cfg: cfg, report: &Report{Config: cfg, Machine: describeMachine(), Started: time.Now()},
		readLoad: readLoadAvg, loadPoll: loadPoll}
	if _, err := b.readLoad(); err == nil {
		b.report.Load.Limit = cfg.MaxLoad * float64(b.report.Machine.CPUs)
	}
	start, err := b.checkLoad(ctx, "before the run", 0)
	if err != nil {
		return nil, err
	}
	b.report.Load.Start = start
	b.report.SSEGWDescriptors = "a descriptor set file"
	raiseOpenFileLimit(1 << 16)

	var cleanups []func()
	defer func() {
		for _, f := range slices.Backward(cleanups) {
			f()
		}
	}()
	stopChild := func(c *child) func() {
		return func() {
			if err := c.stop(); err != nil {
				b.progress("stopping the %s process: %v", c.role, err)
			}
		}
	}
	args := func(role string) childArgs {
		a := childArgs{NoFile: uint64(max(cfg.T3Streams, cfg.T5Subscribers)) + 1024, Heartbeat: cfg.Heartbeat}
		if cfg.CPUProfile != "" {
			a.CPUProfile = cfg.CPUProfile + "." + role
		}
		if cfg.MemProfile != "" {
			a.MemProfile = cfg.MemProfile + "." + role
		}
		return a
	}

	dir, err := os.MkdirTemp("", "ssebench-")
	if err != nil {
		return nil, err
	}
	cleanups = append(cleanups, func() { os.RemoveAll(dir) })
	descriptorSet, err := writeDescriptorSet(dir)
	if err != nil {
		return nil, err
	}

	b.progress("starting the backend and the gateways")
	if b.backend, err = startChild(ctx, roleBackend, args(roleBackend)); err != nil {
		return nil, err
	}
	cleanups = append(cleanups, stopChild(b.backend))
	roles := []string{roleSSEGW, roleGRPCGW}
	if cfg.has(T1) {
		roles = append(roles, roleSSEGWCompiled)
	}
	if cfg.has(T3) {
		roles = append(roles, roleFloor)
	}
	for _, role := range roles {
		a := args(role)
		a.Backend = b.backend.hello.Addr
		if role == roleSSEGW {
			a.DescriptorSet = descriptorSet
		}
		c, err := startChild(ctx, role, a)
		if err != nil {
			return nil, err
		}
		cleanups = append(cleanups, stopChild(c))
		switch role {
		case roleSSEGW:
			b.ssegw = c
		case roleSSEGWCompiled:
			b.ssegwCompiled = c
		case roleGRPCGW:
			b.grpcgw = c
		default:
			b.floor = c
		}
	}

	direct, closeDirect, err := newDirectSystem(b.backend.hello.Addr)
	if err != nil {
		return nil, err
	}
	cleanups = append(cleanups, closeDirect)
	ssegw, closeSSE := newSSESystem(sysSSEGW, b.ssegw, true)
	cleanups = append(cleanups, closeSSE)
	b.systems = []*system{direct, ssegw}
	if cfg.has(T1) {
		raw, closeRaw := newSSESystem(sysSSERaw, b.ssegw, false)
		raw.t1Only = true
		cleanups = append(cleanups, closeRaw)
		b.systems = append(b.systems, raw)
	}
	if cfg.SSEClient {
		sc, closeSC, err := newSSEClientSystem(b.ssegw)
		if err != nil {
			return nil, err
		}
		cleanups = append(cleanups, closeSC)
		b.systems = append(b.systems, sc)
	}
	if cfg.has(T1) {
		compiled, closeCompiled := newSSESystem(sysSSEGWCompiled, b.ssegwCompiled, true)
		compiled.t1Only = true
		cleanups = append(cleanups, closeCompiled)
		b.systems = append(b.systems, compiled)
	}
	grpcgw, closeGW := newGRPCGatewaySystem(b.grpcgw)
	cleanups = append(cleanups, closeGW)
	b.systems = append(b.systems, grpcgw)
	b.progress("backend %s, ssegw %s (descriptor set %s), grpc-gateway %s", b.backend.hello.Addr, b.ssegw.hello.Addr, descriptorSet, b.grpcgw.hello.Addr)

	steps := []struct {
		name string
		run  func(context.Context) error
	}{{T1, b.t1}, {T2, b.t2}, {T3, b.t3}, {T4, b.t4}, {T5, b.t5}}
	for _, step := range steps {
		if !cfg.has(step.name) {
			continue
		}
		name := strings.ToUpper(step.name)
		before, err := b.checkLoad(ctx, "before "+name, cfg.LoadSettle)
		if err != nil {
			return nil, err
		}
		if err := step.run(ctx); err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		after, _ := b.readLoad()
		b.report.Load.Scenarios = append(b.report.Load.Scenarios, ScenarioLoad{Scenario: name, Before: before, After: after})
		b.progress("%s done; load average %v before, %v after", name, before, after)
	}
	b.report.Duration = time.Since(b.report.Started)
	b.report.Targets = checkTargets(b.report)
	return b.report, nil
}

// systemsFor returns the systems that take part in a scenario, in table
// order.
func (b *bench) systemsFor(scenario string) []*system {
	if scenario == T1 {
		return b.systems
	}
	var out []*system
	for _, s := range b.systems {
		if !s.t1Only {
			out = append(out, s)
		}
	}
	return out
}

// progress writes a progress line.
func (b *bench) progress(format string, args ...any) {
	fmt.Fprintf(b.cfg.Progress, "%s  %s\n", time.Now().Format("15:04:05"), fmt.Sprintf(format, args...))
}

// procsOf returns the processes whose CPU time counts for a system: this
// one (the clients), the backend, and the gateway if any.
func (b *bench) procsOf(s *system) []*child {
	procs := []*child{b.backend}
	if s.gw != nil {
		procs = append(procs, s.gw)
	}
	return procs
}

// cpuSnapshot is the CPU time used so far by this process and by procs,
// and the heap objects procs allocated so far.
type cpuSnapshot struct {
	self    time.Duration
	procs   []time.Duration
	mallocs []uint64
}

func snapshotCPU(procs []*child) (cpuSnapshot, error) {
	snap := cpuSnapshot{procs: make([]time.Duration, len(procs)), mallocs: make([]uint64, len(procs))}
	for i, p := range procs {
		st, err := p.stats(false)
		if err != nil {
			return snap, err
		}
		snap.procs[i], snap.mallocs[i] = st.CPU(), st.Mallocs
	}
	user, sys := cpuTime()
	snap.self = user + sys
	return snap, nil
}

// sleep waits for d or until ctx ends.
func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// rotate returns the systems in an order that starts at a different one
// for each repetition, so that no system always runs first or last.
func rotate(systems []*system, rep int) []*system {
	n := len(systems)
	out := make([]*system, n)
	for i := range systems {
		out[i] = systems[(i+rep)%n]
	}
	return out
}
