package bench

import (
	"context"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"time"
)

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
		acct0, acctErr := readCPUAccount()
		if err := step.run(ctx); err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		acct1, acctErr1 := readCPUAccount()
		sl := ScenarioLoad{Scenario: name, Before: before}
		sl.After, _ = b.readLoad()
		other := "not known"
		if acctErr == nil && acctErr1 == nil {
			x := otherCPUs(acct0, acct1)
			sl.OtherCPUs, other = &x, fmt.Sprintf("%.2f CPUs", x)
		}
		b.report.Load.Scenarios = append(b.report.Load.Scenarios, sl)
		b.progress("%s done; load average %v before, %v after; other work meanwhile: %s", name, sl.Before, sl.After, other)
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
