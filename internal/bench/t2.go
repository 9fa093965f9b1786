package bench

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	benchv1 "github.com/ssegw/ssegw/gen/bench/v1"
)

// t2 measures the latency from the backend's send to the client's
// receive, with many streams each at a modest rate, and the CPU each
// process spends per event received in the measured time; each gateway's
// beside the direct gRPC client's per message.
func (b *bench) t2(ctx context.Context) error {
	b.progress("T2 latency: %d streams at %g messages/s each, %v per system", b.cfg.T2Streams, b.cfg.T2Rate, b.cfg.T2Duration)
	for _, s := range b.systemsFor(T2) {
		samples, info, err := b.t2Once(ctx, s)
		if err != nil {
			return fmt.Errorf("%s: %w", s.name(), err)
		}
		l := summarizeLatency(s.id, samples)
		l.Streams, l.Failed, l.Expected = b.cfg.T2Streams, info.failed, info.expected
		l.OpenTime = info.open
		perEvent := func(d time.Duration) float64 { return float64(d) / float64(time.Microsecond) / float64(l.Samples) }
		l.ClientCPUPerEvent, l.BackendCPUPerEvent = perEvent(info.client), perEvent(info.backend)
		if s.gw != nil {
			l.GatewayCPUPerEvent = perEvent(info.gateway)
		}
		b.report.T2 = append(b.report.T2, l)
		b.progress("T2 %-20s p50 %7.3f ms  p99 %7.3f ms  p99.9 %7.3f ms  max %7.3f ms  (%d samples of %d expected); CPU µs per event: client %.2f, gateway %.2f",
			s.name(), l.P50, l.P99, l.P999, l.Max, l.Samples, l.Expected, l.ClientCPUPerEvent, l.GatewayCPUPerEvent)
	}
	anchor := find(b.report.T2, func(l Latency) bool { return l.System == sysDirect }).ClientCPUPerEvent
	for i := range b.report.T2 {
		l := &b.report.T2[i]
		l.DirectClientCPUPerEvent = anchor
		if l.GatewayCPUPerEvent > 0 && anchor > 0 {
			l.GatewayCPUVsDirectClient = l.GatewayCPUPerEvent / anchor
		}
	}
	return nil
}

type t2Info struct {
	failed   int
	expected int
	open     time.Duration
	// CPU time used in the measured time by this process (the clients),
	// the backend and the gateway, if any.
	client, backend, gateway time.Duration
}

// t2Once opens the streams of one system, records latencies for the
// measured time, and closes them.
func (b *bench) t2Once(ctx context.Context, s *system) ([]time.Duration, t2Info, error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	n := b.cfg.T2Streams
	req := &benchv1.StreamRequest{PayloadSize: 100, Rate: b.cfg.T2Rate}

	var recording atomic.Bool
	var failed atomic.Int64
	samples := make([][]time.Duration, n)
	var readers sync.WaitGroup
	var openErr error
	var errOnce sync.Once

	start := time.Now()
	sem := make(chan struct{}, 64)
	var opening sync.WaitGroup
	for i := range n {
		sem <- struct{}{}
		opening.Add(1)
		go func() {
			defer opening.Done()
			st, err := s.open(ctx, req, false)
			<-sem
			if err != nil {
				errOnce.Do(func() { openErr = err })
				return
			}
			readers.Add(1)
			go func() {
				defer readers.Done()
				defer st.Close()
				var m benchv1.StreamMessage
				for {
					if err := st.Recv(&m); err != nil {
						if ctx.Err() == nil {
							failed.Add(1)
						}
						return
					}
					if recording.Load() {
						samples[i] = append(samples[i], time.Duration(time.Now().UnixNano()-m.GetSentUnixNano()))
					}
				}
			}()
		}()
	}
	opening.Wait()
	info := t2Info{open: time.Since(start)}
	finish := func() {
		cancel()
		readers.Wait()
	}
	if openErr != nil {
		finish()
		return nil, info, openErr
	}
	b.progress("T2 %-20s %d streams open in %v", s.name(), n, info.open.Round(time.Millisecond))
	if err := sleep(ctx, b.cfg.T2Warmup); err != nil {
		finish()
		return nil, info, err
	}
	procs := b.procsOf(s)
	before, err := snapshotCPU(procs)
	if err != nil {
		finish()
		return nil, info, err
	}
	recording.Store(true)
	err = sleep(ctx, b.cfg.T2Duration)
	recording.Store(false)
	after, cpuErr := snapshotCPU(procs)
	finish()
	if err != nil {
		return nil, info, err
	}
	if cpuErr != nil {
		return nil, info, cpuErr
	}
	info.client, info.backend = after.self-before.self, after.procs[0]-before.procs[0]
	if len(procs) > 1 {
		info.gateway = after.procs[1] - before.procs[1]
	}
	var all []time.Duration
	for _, s := range samples {
		all = append(all, s...)
	}
	info.failed = int(failed.Load())
	info.expected = int(float64(n) * b.cfg.T2Rate * b.cfg.T2Duration.Seconds())
	if len(all) == 0 {
		return nil, info, errors.New("no message arrived")
	}
	slices.Sort(all)
	return all, info, nil
}

// summarizeLatency reports percentiles of sorted samples, in
// milliseconds, and the curve of the latency plot.
func summarizeLatency(id string, sorted []time.Duration) Latency {
	ms := func(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
	l := Latency{
		System:  id,
		Samples: len(sorted),
		P50:     ms(percentile(sorted, 0.50)),
		P90:     ms(percentile(sorted, 0.90)),
		P99:     ms(percentile(sorted, 0.99)),
		P999:    ms(percentile(sorted, 0.999)),
		Max:     ms(sorted[len(sorted)-1]),
	}
	var sum time.Duration
	for _, d := range sorted {
		sum += d
	}
	l.Mean = ms(sum / time.Duration(len(sorted)))
	for _, p := range curvePercentiles(len(sorted)) {
		l.Curve = append(l.Curve, [2]float64{p * 100, ms(percentile(sorted, p))})
	}
	return l
}

// curvePercentiles returns the percentiles of a latency curve, from about
// the 10th, spaced evenly on a scale of nines, up to what n samples can
// tell.
func curvePercentiles(n int) []float64 {
	var ps []float64
	for nines := 0.05; nines <= 5; nines += 0.05 {
		p := 1 - pow10(-nines)
		if float64(n)*(1-p) < 1 {
			break
		}
		ps = append(ps, p)
	}
	return ps
}
