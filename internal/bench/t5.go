package bench

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"sync"
	"time"

	benchv1 "github.com/ssegw/ssegw/gen/bench/v1"
)

// sysCentrifugo is Centrifugo v6 in T5.
const sysCentrifugo = "centrifugo"

// feedPath is the HTTP route of BenchService.Feed, which ssegw shares.
const feedPath = "/v1/bench/feed"

// t5 measures one feed fanned out to many subscribers, by ssegw (one
// shared backend call) and by Centrifugo (published through its server
// API), for each HTTP version: the backend calls held, the memory and CPU
// of the fan-out process, and the latency from send to receive.
func (b *bench) t5(ctx context.Context) error {
	n := b.cfg.T5Subscribers
	nworkers := (n + b.cfg.T5PerWorker - 1) / b.cfg.T5PerWorker
	b.progress("T5 fan-out: %d subscribers of one feed at %g events/s of ~100 B, over %v, from %d client processes", n, b.cfg.T5Rate, b.cfg.T5Protocols, nworkers)
	for _, s := range b.systems {
		s.closeIdle()
	}
	dir, err := os.MkdirTemp("", "ssebench-t5-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	bin := b.cfg.Centrifugo
	if bin == "" {
		b.progress("T5 building Centrifugo from tools/centrifugo")
		if bin, err = buildCentrifugo(ctx, dir); err != nil {
			return err
		}
	}
	cf, err := startCentrifugo(ctx, bin, dir)
	if err != nil {
		return err
	}
	defer cf.stop()
	workers := make([]*child, nworkers)
	for i := range workers {
		if workers[i], err = startChild(ctx, roleClients, childArgs{NoFile: uint64(b.cfg.T5PerWorker) + 1024}); err != nil {
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

	// Centrifugo's feed: the bench publishes at the rate, each event
	// stamped with its send time like the backend's messages.
	pubCtx, stopPublishing := context.WithCancel(ctx)
	var publisher sync.WaitGroup
	publisher.Go(func() { b.publishFeed(pubCtx, cf) })
	defer func() {
		stopPublishing()
		publisher.Wait()
	}()

	// The anchor of the CPU per delivered event: what receiving the same
	// messages costs a direct gRPC client, in this run.
	anchor, anchorName := 0.0, ""
	if d := find(b.report.T2, func(l Latency) bool { return l.System == sysDirect }); d.System != "" {
		anchor, anchorName = d.ClientCPUPerEvent, "T2"
	} else if d := find(b.report.T1, func(t Throughput) bool { return t.System == sysDirect && t.Size == 100 }); d.System != "" {
		anchor, anchorName = d.ClientCPUPerMillion, "T1 at 100 B"
	}
	feedURL := "http://" + b.ssegw.hello.Addr + feedPath + "?" + streamQuery(&benchv1.StreamRequest{PayloadSize: 100, Rate: b.cfg.T5Rate})
	ssegwStats := func(settle bool) (Stats, error) { return b.ssegw.stats(settle) }
	cfStats := func(bool) (Stats, error) {
		cpu, rss, err := processStats(cf.pid())
		return Stats{User: cpu, RSS: rss}, err
	}
	for _, proto := range b.cfg.T5Protocols {
		for _, sys := range []struct {
			id    string
			url   string
			stats func(bool) (Stats, error)
		}{{sysSSEGW, feedURL, ssegwStats}, {sysCentrifugo, cf.subscribeURL(), cfStats}} {
			f, err := b.t5Once(ctx, sys.id, proto, sys.url, sys.stats, workers)
			if err != nil {
				return fmt.Errorf("%s over %s: %w", sys.id, proto, err)
			}
			if anchor > 0 {
				f.DirectClientCPUPerEvent, f.Anchor = anchor, anchorName
			}
			b.report.T5 = append(b.report.T5, f)
			calls := "-"
			if f.BackendCalls >= 0 {
				calls = strconv.FormatInt(f.BackendCalls, 10)
			}
			b.progress("T5 %-12s %s: %d subscribers, backend calls %s, %.1f KiB RSS per subscriber, %.2f µs CPU per event, p50 %.2f ms, p99 %.2f ms, %d of %d events",
				f.System, proto, f.Subscribers, calls, f.RSSPerSubscriber/1024, f.CPUPerEvent, f.P50, f.P99, f.Events, f.Expected)
		}
	}
	return nil
}

// t5Once opens the subscribers of one system, measures, and closes them.
func (b *bench) t5Once(ctx context.Context, id, proto, url string, stats func(bool) (Stats, error), workers []*child) (Fanout, error) {
	f := Fanout{System: id, Protocol: proto, Requested: b.cfg.T5Subscribers, BackendCalls: -1}
	before, err := stats(true)
	if err != nil {
		return f, err
	}
	share := split(b.cfg.T5Subscribers, len(workers))
	replies, err := callAll5(workers, func(i int) request {
		return request{Op: "t5open", T5: &t5Request{URL: url, Subscribers: share[i], Sources: t3Sources, H2: proto == "h2", Concurrency: 32}}
	})
	defer func() {
		_, _ = callAll5(workers, func(int) request { return request{Op: "t5close"} })
		if id == sysSSEGW {
			b.waitIdle(ctx, b.ssegw, 0)
		}
	}()
	if err != nil {
		return f, err
	}
	var firstErr string
	for _, r := range replies {
		f.Subscribers += r.Opened
		f.Failed += r.Failed
		f.Ramp = max(f.Ramp, r.Ramp)
		if firstErr == "" {
			firstErr = r.FirstError
		}
	}
	if f.Subscribers == 0 {
		return f, fmt.Errorf("no subscriber connected: %s", firstErr)
	}
	if f.Failed > 0 {
		b.progress("T5 %s %s: %d subscribers failed to connect, the first with: %s", id, proto, f.Failed, firstErr)
	}
	b.progress("T5 %-12s %s: %d subscribers connected in %v", id, proto, f.Subscribers, f.Ramp.Round(time.Millisecond))
	if err := sleep(ctx, b.cfg.T5Warmup); err != nil {
		return f, err
	}
	if _, err := callAll5(workers, func(int) request { return request{Op: "t5reset"} }); err != nil {
		return f, err
	}
	cpu0, err := stats(false)
	if err != nil {
		return f, err
	}
	start := time.Now()
	if err := sleep(ctx, b.cfg.T5Duration); err != nil {
		return f, err
	}
	replies, err = callAll5(workers, func(int) request { return request{Op: "t5collect"} })
	elapsed := time.Since(start)
	if err != nil {
		return f, err
	}
	cpu1, err := stats(false)
	if err != nil {
		return f, err
	}
	if id == sysSSEGW {
		rep, err := b.backend.call(request{Op: "feeds"})
		if err != nil {
			return f, err
		}
		f.BackendCalls = rep.Feeds
	}
	after, err := stats(true)
	if err != nil {
		return f, err
	}
	counts := make([]uint64, histBuckets)
	for _, r := range replies {
		f.Events += r.Events
		f.Ended += r.Ended
		for i, c := range r.Latency {
			counts[i] += c
		}
	}
	f.Expected = int64(float64(f.Subscribers) * b.cfg.T5Rate * elapsed.Seconds())
	per := func(a, b int64) float64 { return float64(a-b) / float64(f.Subscribers) }
	f.RSSPerSubscriber = per(after.RSS, before.RSS)
	f.HeapPerSubscriber = per(int64(after.HeapInuse), int64(before.HeapInuse))
	f.StackPerSubscriber = per(int64(after.StackInuse), int64(before.StackInuse))
	f.GatewayCPU = (cpu1.CPU() - cpu0.CPU()).Seconds()
	if f.Events > 0 {
		f.CPUPerEvent = (cpu1.CPU() - cpu0.CPU()).Seconds() / float64(f.Events) * 1e6
	}
	ms := func(p float64) float64 {
		d, _ := histPercentile(counts, p)
		return float64(d) / float64(time.Millisecond)
	}
	f.P50, f.P90, f.P99, f.P999, f.Max = ms(0.5), ms(0.9), ms(0.99), ms(0.999), ms(1)
	return f, nil
}

// publishFeed publishes Centrifugo's feed at the T5 rate until ctx ends:
// events of the size of the backend's, with the same JSON fields.
func (b *bench) publishFeed(ctx context.Context, cf *centrifugoServer) {
	interval := time.Duration(float64(time.Second) / b.cfg.T5Rate)
	ticker := time.NewTicker(interval)
	defer ticker.Stop()
	filler := payload(100 - messageOverhead)
	for seq := 1; ; seq++ {
		select {
		case <-ctx.Done():
			return
		case <-ticker.C:
		}
		data := fmt.Sprintf(`{"seq":"%d","sentUnixNano":"%d","payload":"%s"}`, seq, time.Now().UnixNano(), filler)
		if err := cf.publish(ctx, []byte(data)); err != nil && ctx.Err() == nil {
			b.progress("T5 publishing to Centrifugo: %v", err)
		}
	}
}

// callAll5 sends a request to each worker at once and returns their T5
// replies.
func callAll5(workers []*child, req func(i int) request) ([]t5Reply, error) {
	replies := make([]t5Reply, len(workers))
	errs := make([]error, len(workers))
	var wg sync.WaitGroup
	for i, w := range workers {
		wg.Go(func() {
			rep, err := w.call(req(i))
			if err == nil && rep.T5 != nil {
				replies[i] = *rep.T5
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
