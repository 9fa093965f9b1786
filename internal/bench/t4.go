package bench

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"time"

	benchv1 "github.com/ssegw/ssegw/gen/bench/v1"
)

// t4 measures the time from opening a stream to its first message, with
// streams opened one after the other, each system in turn, on a fresh
// connection ("cold") and on a connection that is open already ("warm").
// The first round warms up and is not counted.
func (b *bench) t4(ctx context.Context) error {
	b.progress("T4 connect → first event: %d streams per system, on fresh and on open connections", b.cfg.T4Iterations)
	cold := map[string][]time.Duration{}
	warm := map[string][]time.Duration{}
	gateways := []*child{b.ssegw, b.grpcgw}
	before := make([]Stats, len(gateways))
	for i, gw := range gateways {
		var err error
		if before[i], err = gw.stats(false); err != nil {
			return err
		}
	}
	for i := range b.cfg.T4Iterations + 1 {
		for _, s := range rotate(b.systemsFor(T4), i) {
			for _, fresh := range []bool{true, false} {
				d, err := firstEvent(ctx, s, fresh)
				if err != nil {
					return fmt.Errorf("%s: %w", s.name(), err)
				}
				if i == 0 {
					continue
				}
				if fresh {
					cold[s.id] = append(cold[s.id], d)
				} else {
					warm[s.id] = append(warm[s.id], d)
				}
			}
		}
	}
	// The CPU time each gateway used per stream it served, warm-up round
	// included.
	cpuPerStream := map[*child]float64{}
	for i, gw := range gateways {
		after, err := gw.stats(false)
		if err != nil {
			return err
		}
		streams := 0
		for _, s := range b.systemsFor(T4) {
			if s.gw == gw {
				streams += 2 * (b.cfg.T4Iterations + 1)
			}
		}
		cpuPerStream[gw] = float64(after.CPU()-before[i].CPU()) / float64(time.Microsecond) / float64(streams)
	}
	ms := func(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
	for _, s := range b.systemsFor(T4) {
		c := Connect{System: s.id, Streams: b.cfg.T4Iterations, GatewayCPU: cpuPerStream[s.gw]}
		for _, v := range []struct {
			samples []time.Duration
			p50     *float64
			p99     *float64
		}{{cold[s.id], &c.ColdP50, &c.ColdP99}, {warm[s.id], &c.WarmP50, &c.WarmP99}} {
			slices.Sort(v.samples)
			*v.p50, *v.p99 = ms(percentile(v.samples, 0.5)), ms(percentile(v.samples, 0.99))
		}
		b.report.T4 = append(b.report.T4, c)
		b.progress("T4 %-20s fresh connection: median %6.3f ms, p99 %6.3f ms; open connection: median %6.3f ms, p99 %6.3f ms",
			s.name(), c.ColdP50, c.ColdP99, c.WarmP50, c.WarmP99)
	}
	return nil
}

// firstEvent opens a stream of one message and returns the time until
// that message arrived. It then reads the end of the stream, so that the
// connection can be used again.
func firstEvent(ctx context.Context, s *system, fresh bool) (time.Duration, error) {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	start := time.Now()
	st, err := s.open(ctx, &benchv1.StreamRequest{PayloadSize: 100, Count: 1}, fresh)
	if err != nil {
		return 0, err
	}
	var m benchv1.StreamMessage
	err = st.Recv(&m)
	d := time.Since(start)
	if err != nil {
		st.Close()
		return 0, err
	}
	if err := st.Recv(&m); !errors.Is(err, io.EOF) {
		st.Close()
		return 0, fmt.Errorf("after the only message: %v, want the end of the stream", err)
	}
	st.Finish()
	return d, nil
}
