package bench

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"time"

	benchv1 "github.com/ssegw/ssegw/gen/bench/v1"
)

// t3Sources are the loopback addresses the idle streams connect from, in
// turn, so that one address's ephemeral ports do not run out.
var t3Sources = []string{"127.0.0.2", "127.0.0.3", "127.0.0.4", "127.0.0.5", "127.0.0.6", "127.0.0.7", "127.0.0.8", "127.0.0.9"}

// filesReserved is how many open files a gateway keeps for other things
// than its streams' connections.
const filesReserved = 100

// t3 measures the memory each idle stream costs a gateway, and the
// lateness of ssegw's heartbeats, for each HTTP version.
func (b *bench) t3(ctx context.Context) error {
	n := b.cfg.T3Streams
	nworkers := (n + b.cfg.T3PerWorker - 1) / b.cfg.T3PerWorker
	b.progress("T3 density: %d idle streams over %v, heartbeats every %v, from %d client processes", n, b.cfg.T3Protocols, b.cfg.Heartbeat, nworkers)
	// Idle connections of the other scenarios' clients would count as
	// streams.
	for _, s := range b.systems {
		s.closeIdle()
	}
	workers := make([]*child, nworkers)
	var err error
	for i := range workers {
		if workers[i], err = startChild(ctx, roleClients, childArgs{NoFile: uint64(b.cfg.T3PerWorker) + 1024}); err != nil {
			for _, w := range workers[:i] {
				_ = w.stop()
			}
			return err
		}
	}
	defer func() {
		for _, w := range workers {
			_ = w.stop()
		}
	}()
	gateways := []*system{find(b.systems, func(s *system) bool { return s.id == sysSSEGW })}
	gateways = append(gateways, find(b.systems, func(s *system) bool { return s.id == sysGRPCGW }))
	gateways = append(gateways, &system{id: sysFloor, gw: b.floor, base: "http://" + b.floor.hello.Addr})
	for _, proto := range b.cfg.T3Protocols {
		for _, s := range gateways {
			d, err := b.t3Once(ctx, s, proto, workers)
			if err != nil {
				return fmt.Errorf("%s over %s: %w", s.name(), proto, err)
			}
			b.report.T3 = append(b.report.T3, d)
			line := fmt.Sprintf("T3 %-20s %s: %d streams: %.1f KiB RSS, %.1f KiB heap, %.1f KiB stacks per stream",
				s.name(), proto, d.Streams, d.RSSPerStream/1024, d.HeapPerStream/1024, d.StackPerStream/1024)
			if d.Heartbeats > 0 {
				line += fmt.Sprintf("; heartbeats late p99 %.1f ms, max %.1f ms; %d of %d streams got every heartbeat", d.LateP99, d.LateMax, d.Complete, d.Streams)
			}
			b.progress("%s", line)
		}
	}
	return nil
}

// t3Once opens the idle streams of one gateway, measures its memory once
// they are all open, waits for heartbeats, and closes them.
func (b *bench) t3Once(ctx context.Context, s *system, proto string, workers []*child) (Density, error) {
	d := Density{System: s.id, Protocol: proto, Requested: b.cfg.T3Streams}
	streams := b.cfg.T3Streams
	if capacity := int(s.gw.hello.NoFile) - filesReserved; proto == "h1" && streams > capacity {
		streams = capacity
		d.Note = fmt.Sprintf("%d of %d streams: the gateway may open %d files (RLIMIT_NOFILE), one per HTTP/1.1 connection", streams, b.cfg.T3Streams, s.gw.hello.NoFile)
		b.progress("T3 %s %s: %s", s.name(), proto, d.Note)
	}
	kind := "sse"
	if s.id == sysGRPCGW {
		kind = "ndjson"
	}
	gwBefore, err := s.gw.stats(true)
	if err != nil {
		return d, err
	}
	beBefore, err := b.backend.stats(true)
	if err != nil {
		return d, err
	}

	url := s.base + streamPath + "?" + streamQuery(&benchv1.StreamRequest{PayloadSize: 100, Count: 1, Hold: true})
	share := split(streams, len(workers))
	replies, err := callAll(workers, func(i int) request {
		return request{Op: "t3open", T3: &t3Request{
			URL: url, Kind: kind, Streams: share[i], Sources: t3Sources, H2: proto == "h2",
			Concurrency: 32, Period: b.cfg.Heartbeat,
		}}
	})
	defer func() {
		_, _ = callAll(workers, func(int) request { return request{Op: "t3close"} })
		b.waitIdle(ctx, s.gw, gwBefore.Goroutines)
	}()
	if err != nil {
		return d, err
	}
	var firstErr string
	for _, r := range replies {
		d.Streams += r.Opened
		d.Failed += r.Failed
		d.Ramp = max(d.Ramp, r.Ramp)
		if firstErr == "" {
			firstErr = r.FirstError
		}
	}
	if d.Streams == 0 {
		return d, fmt.Errorf("no stream opened: %s", firstErr)
	}
	if d.Failed > 0 {
		b.progress("T3 %s %s: %d streams failed to open, the first with: %s", s.name(), proto, d.Failed, firstErr)
	}
	b.progress("T3 %-20s %s: %d streams open in %v", s.name(), proto, d.Streams, d.Ramp.Round(time.Millisecond))
	if err := sleep(ctx, time.Second); err != nil {
		return d, err
	}
	gwAfter, err := s.gw.stats(true)
	if err != nil {
		return d, err
	}
	beAfter, err := b.backend.stats(true)
	if err != nil {
		return d, err
	}
	per := func(after, before int64) float64 { return float64(after-before) / float64(d.Streams) }
	d.RSSPerStream = per(gwAfter.RSS, gwBefore.RSS)
	d.HeapPerStream = per(int64(gwAfter.HeapInuse), int64(gwBefore.HeapInuse))
	d.StackPerStream = per(int64(gwAfter.StackInuse), int64(gwBefore.StackInuse))
	d.GoroutinesPerStream = per(int64(gwAfter.Goroutines), int64(gwBefore.Goroutines))
	d.BackendRSSPerStream = per(beAfter.RSS, beBefore.RSS)
	d.GatewayRSS = gwAfter.RSS
	if b.cfg.MemProfile != "" {
		path := fmt.Sprintf("%s.t3-%s-%s", b.cfg.MemProfile, s.id, proto)
		if _, err := s.gw.call(request{Op: "heap", Path: path}); err != nil {
			return d, err
		}
		b.progress("T3 %-20s %s: heap profile of the gateway with the streams open: %s", s.name(), proto, path)
	}

	if s.id != sysSSEGW || b.cfg.T3Beats == 0 {
		return d, nil
	}
	b.progress("T3 %-20s %s: waiting for %d heartbeats on every stream", s.name(), proto, b.cfg.T3Beats)
	replies, err = callAll(workers, func(int) request {
		return request{Op: "t3wait", T3: &t3Request{Beats: b.cfg.T3Beats, Timeout: b.cfg.Heartbeat*time.Duration(b.cfg.T3Beats) + d.Ramp + 30*time.Second}}
	})
	if err != nil {
		return d, err
	}
	var late []time.Duration
	for _, r := range replies {
		late = append(late, r.Lateness...)
		d.Complete += r.Complete
	}
	slices.Sort(late)
	ms := func(x time.Duration) float64 { return float64(x) / float64(time.Millisecond) }
	d.Heartbeats = len(late)
	if len(late) > 0 {
		d.LateP50, d.LateP99, d.LateMax = ms(percentile(late, 0.5)), ms(percentile(late, 0.99)), ms(late[len(late)-1])
	}
	for _, x := range late {
		if x > 100*time.Millisecond {
			d.Late++
		}
	}
	return d, nil
}

// waitIdle waits, for a while, until the gateway is back to about the
// goroutines it had before the streams opened.
func (b *bench) waitIdle(ctx context.Context, gw *child, goroutines int) {
	for range 150 {
		st, err := gw.stats(false)
		if err != nil || st.Goroutines <= goroutines+20 {
			return
		}
		if sleep(ctx, 200*time.Millisecond) != nil {
			return
		}
	}
}

// split divides n into k nearly equal parts.
func split(n, k int) []int {
	parts := make([]int, k)
	for i := range parts {
		parts[i] = n / k
		if i < n%k {
			parts[i]++
		}
	}
	return parts
}

// callAll sends a request to each worker at once and returns their T3
// replies.
func callAll(workers []*child, req func(i int) request) ([]t3Reply, error) {
	replies := make([]t3Reply, len(workers))
	errs := make([]error, len(workers))
	var wg sync.WaitGroup
	for i, w := range workers {
		wg.Go(func() {
			rep, err := w.call(req(i))
			if err == nil && rep.T3 != nil {
				replies[i] = *rep.T3
			}
			errs[i] = err
		})
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return replies, err
		}
	}
	return replies, nil
}
