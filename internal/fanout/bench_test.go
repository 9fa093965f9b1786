package fanout_test

import (
	"context"
	"errors"
	"sync"
	"testing"

	"github.com/ssegw/ssegw/internal/fanout"
)

// BenchmarkFanout publishes events of 100 bytes to 1,000 subscribers,
// each reading in a goroutine of its own: the cost of one event
// delivered to one subscriber.
func BenchmarkFanout(b *testing.B) {
	const subscribers = 1000
	h := fanout.NewHub()
	defer h.Close()
	data := make([]byte, 100)
	publish := make(chan int)
	spec := fanout.Spec{
		Config: fanout.Config{QueueEvents: 1 << 20, QueueBytes: 1 << 30},
		Produce: func(ctx context.Context, p *fanout.Publisher) ([]byte, error) {
			p.Open(nil)
			for n := range publish {
				for range n {
					p.Publish("", data)
				}
			}
			return nil, nil
		},
	}
	var wg sync.WaitGroup
	ctx := context.Background()
	subs := make([]*fanout.Subscriber, subscribers)
	for i := range subs {
		sub, err := h.Join("k", "", spec)
		if err != nil {
			b.Fatal(err)
		}
		subs[i] = sub
		wg.Go(func() {
			defer sub.Close()
			buf := make([][]byte, 0, 16)
			for {
				if _, err := sub.Next(ctx, buf[:0]); errors.Is(err, fanout.ErrEnded) {
					return
				} else if err != nil {
					b.Error(err)
					return
				}
			}
		})
	}
	b.ReportAllocs()
	b.ResetTimer()
	publish <- b.N
	close(publish)
	wg.Wait()
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/subscribers, "ns/delivery")
}
