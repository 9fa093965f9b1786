package bench

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync/atomic"
	"time"

	benchv1 "github.com/ssegw/ssegw/gen/bench/v1"
)

// t1Run is one measurement of T1.
type t1Run struct {
	events                   int64
	elapsed                  time.Duration
	client, backend, gateway time.Duration // CPU time used by each process
	gatewayMallocs           uint64        // heap objects the gateway allocated
}

func (r t1Run) rate() float64 { return float64(r.events) / r.elapsed.Seconds() }

// perMillion returns CPU seconds per million events, which is also CPU µs
// per event.
func (r t1Run) perMillion(cpu time.Duration) float64 {
	if r.events == 0 {
		return 0
	}
	return cpu.Seconds() / float64(r.events) * 1e6
}

// t1 measures the throughput of one stream with the backend sending as
// fast as it can, for each message size and system, Reps times each, the
// systems taking turns. Each gateway's CPU per event is reported beside
// the direct gRPC client's CPU per message of the same size, measured in
// the same repetitions: the anchor, what receiving a message costs a
// program that does not go through a gateway.
func (b *bench) t1(ctx context.Context) error {
	b.progress("T1 throughput: one stream, backend as fast as possible, %d × %v per system and size", b.cfg.Reps, b.cfg.T1Duration)
	for _, size := range b.cfg.Sizes {
		runs := map[string][]t1Run{}
		for rep := range b.cfg.Reps {
			for _, s := range rotate(b.systemsFor(T1), rep) {
				r, err := b.t1Once(ctx, s, size)
				if err != nil {
					return fmt.Errorf("%s, %d B: %w", s.name(), size, err)
				}
				runs[s.id] = append(runs[s.id], r)
				b.progress("T1 %5d B  %-20s run %d/%d: %9.0f events/s, CPU µs per event: %6.2f in all, client %5.2f, gateway %5.2f",
					size, s.name(), rep+1, b.cfg.Reps, r.rate(), r.perMillion(r.client+r.backend+r.gateway), r.perMillion(r.client), r.perMillion(r.gateway))
			}
		}
		rows := make([]Throughput, 0, len(b.systemsFor(T1)))
		for _, s := range b.systemsFor(T1) {
			rows = append(rows, summarizeT1(s.id, size, s.gw != nil, runs[s.id]))
		}
		anchor := find(rows, func(t Throughput) bool { return t.System == sysDirect }).ClientCPUPerMillion
		for i := range rows {
			rows[i].DirectClientCPUPerMillion = anchor
			if rows[i].GatewayCPUPerMillion > 0 && anchor > 0 {
				rows[i].GatewayCPUVsDirectClient = rows[i].GatewayCPUPerMillion / anchor
			}
		}
		b.report.T1 = append(b.report.T1, rows...)
	}
	return nil
}

// t1Once measures one system for one message size.
func (b *bench) t1Once(ctx context.Context, s *system, size int) (t1Run, error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	st, err := s.open(ctx, &benchv1.StreamRequest{PayloadSize: int32(size)}, false)
	if err != nil {
		return t1Run{}, err
	}
	var count atomic.Int64
	done := make(chan error, 1)
	go func() {
		var m benchv1.StreamMessage
		for {
			if err := st.Recv(&m); err != nil {
				done <- err
				return
			}
			count.Add(1)
		}
	}()
	exited := false
	stop := func() {
		cancel()
		st.Close()
		if !exited {
			<-done
			exited = true
		}
	}
	defer stop()
	wait := func(d time.Duration) error {
		t := time.NewTimer(d)
		defer t.Stop()
		select {
		case err := <-done:
			exited = true
			return fmt.Errorf("the stream ended early: %w", err)
		case <-t.C:
			return nil
		case <-ctx.Done():
			return ctx.Err()
		}
	}

	procs := b.procsOf(s)
	if err := wait(b.cfg.T1Warmup); err != nil {
		return t1Run{}, err
	}
	before, err := snapshotCPU(procs)
	if err != nil {
		return t1Run{}, err
	}
	n0, t0 := count.Load(), time.Now()
	if err := wait(b.cfg.T1Duration); err != nil {
		return t1Run{}, err
	}
	n1, t1 := count.Load(), time.Now()
	after, err := snapshotCPU(procs)
	if err != nil {
		return t1Run{}, err
	}
	r := t1Run{events: n1 - n0, elapsed: t1.Sub(t0), client: after.self - before.self}
	r.backend = after.procs[0] - before.procs[0]
	if len(procs) > 1 {
		r.gateway = after.procs[1] - before.procs[1]
		r.gatewayMallocs = after.mallocs[1] - before.mallocs[1]
	}
	if r.events == 0 {
		return r, errors.New("no events arrived")
	}
	return r, nil
}

// summarizeT1 reports the medians and the ranges of the runs of one
// system and size; gateway says that the system has a gateway process.
func summarizeT1(id string, size int, gateway bool, runs []t1Run) Throughput {
	t := Throughput{System: id, Size: size}
	var rates, total, client, backend, gw, allocs []float64
	for _, r := range runs {
		rates = append(rates, r.rate())
		total = append(total, r.perMillion(r.client+r.backend+r.gateway))
		client = append(client, r.perMillion(r.client))
		backend = append(backend, r.perMillion(r.backend))
		gw = append(gw, r.perMillion(r.gateway))
		if r.events > 0 {
			allocs = append(allocs, float64(r.gatewayMallocs)/float64(r.events))
		}
	}
	t.Runs = rates
	t.EventsPerSec = median(rates)
	if len(rates) > 0 {
		t.EventsPerSecMin, t.EventsPerSecMax = slices.Min(rates), slices.Max(rates)
	}
	t.CPUPerMillion = median(total)
	t.ClientCPUPerMillion = median(client)
	t.ClientCPURuns = client
	t.BackendCPUPerMillion = median(backend)
	if gateway {
		t.GatewayCPUPerMillion = median(gw)
		t.GatewayCPURuns = gw
		t.GatewayAllocsPerEvent = median(allocs)
	}
	return t
}
