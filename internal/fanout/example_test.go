package fanout_test

import (
	"context"
	"errors"
	"fmt"

	"github.com/ssegw/ssegw/internal/fanout"
)

func Example() {
	hub := fanout.NewHub()
	defer hub.Close()

	// The producer encodes each event once; every subscriber writes the
	// same bytes.
	ready := make(chan struct{})
	spec := fanout.Spec{
		Config: fanout.Config{QueueEvents: 16, QueueBytes: 64 << 10, ReplayEvents: 16},
		Produce: func(ctx context.Context, p *fanout.Publisher) ([]byte, error) {
			p.Open(nil)
			<-ready
			for i := 1; i <= 3; i++ {
				id := fmt.Sprint(i)
				p.Publish(id, []byte("id: "+id+"\ndata: tick\n\n"))
			}
			return []byte("event: end\ndata: {}\n\n"), nil
		},
	}
	a, _ := hub.Join("ticks", "", spec)
	defer a.Close()
	b, _ := hub.Join("ticks", "", spec) // the same stream: one producer
	defer b.Close()
	close(ready)

	ctx := context.Background()
	for {
		events, err := a.Next(ctx, nil)
		if errors.Is(err, fanout.ErrEnded) {
			final, _ := a.Outcome()
			fmt.Printf("%s", final)
			break
		}
		fmt.Printf("%s", events[0])
	}
	// Output:
	// id: 1
	// data: tick
	//
	// id: 2
	// data: tick
	//
	// id: 3
	// data: tick
	//
	// event: end
	// data: {}
}
