package demo

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	demov1 "github.com/ssegw/ssegw/gen/examples/demo/v1"
)

const (
	// MaxOrders is how many orders the demo keeps; placing more forgets
	// the oldest.
	MaxOrders = 10_000
	// maxQuantity bounds the quantity of an order.
	maxQuantity = 1_000_000
	// orderFills is the number of parts an order is filled in, at most.
	orderFills = 3
	// defaultOrderInterval is the time between the events of an order.
	defaultOrderInterval = 500 * time.Millisecond
)

// orderBook holds the placed orders, at most MaxOrders of them. The zero
// value is empty and ready to use.
type orderBook struct {
	mu     sync.Mutex
	next   int64
	orders map[string]*demov1.Order
	names  []string // in the order placed, oldest first
}

// place records a new order and returns it.
func (b *orderBook) place(o *demov1.Order) *demov1.Order {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.orders == nil {
		b.orders = map[string]*demov1.Order{}
	}
	if len(b.names) >= MaxOrders {
		delete(b.orders, b.names[0])
		b.names = b.names[1:]
	}
	b.next++
	o.Name = fmt.Sprintf("orders/%d", b.next)
	b.orders[o.Name] = o
	b.names = append(b.names, o.Name)
	return proto.CloneOf(o)
}

// get returns the order called name, or nil.
func (b *orderBook) get(name string) *demov1.Order {
	b.mu.Lock()
	defer b.mu.Unlock()
	if o, ok := b.orders[name]; ok {
		return proto.CloneOf(o)
	}
	return nil
}

// PlaceOrder places an order, which WatchOrder then follows until it is
// filled. It sends the header metadata x-demo-method and the trailer
// metadata x-demo-order (the order's name).
func (s *Service) PlaceOrder(ctx context.Context, req *demov1.PlaceOrderRequest) (*demov1.Order, error) {
	switch {
	case req.GetSymbol() == "":
		return nil, invalidArgument("symbol", "must not be empty")
	case req.GetSide() != demov1.Side_BUY && req.GetSide() != demov1.Side_SELL:
		return nil, invalidArgument("side", "must be BUY or SELL")
	case req.GetQuantity() < 1 || req.GetQuantity() > maxQuantity:
		return nil, invalidArgument("quantity", fmt.Sprintf("must be from 1 to %d", maxQuantity))
	case req.GetLimitPriceCents() < 0:
		return nil, invalidArgument("limit_price_cents", "must not be negative")
	}
	o := s.orders.place(&demov1.Order{
		Symbol:          strings.ToUpper(req.GetSymbol()),
		Side:            req.GetSide(),
		Quantity:        req.GetQuantity(),
		LimitPriceCents: req.GetLimitPriceCents(),
		State:           demov1.OrderState_PLACED,
		CreateTime:      timestamppb.Now(),
	})
	if err := grpc.SetHeader(ctx, metadata.Pairs("x-demo-method", "place-order")); err != nil {
		return nil, err
	}
	if err := grpc.SetTrailer(ctx, metadata.Pairs("x-demo-order", o.GetName())); err != nil {
		return nil, err
	}
	return o, nil
}

// WatchOrder sends the events of an order after req.AfterSeq, one per
// interval: ACCEPTED, then fills until FILLED. Each event is a pure
// function of the order and its number, so a resumed stream continues
// exactly where it left.
func (s *Service) WatchOrder(req *demov1.WatchOrderRequest, stream grpc.ServerStreamingServer[demov1.OrderEvent]) error {
	o := s.orders.get(req.GetName())
	if o == nil {
		return status.Errorf(codes.NotFound, "no order %q; place one with PlaceOrder", req.GetName())
	}
	if req.GetAfterSeq() < 0 {
		return invalidArgument("after_seq", "must not be negative")
	}
	interval := defaultOrderInterval
	if req.GetInterval() != nil {
		var err error
		if interval, err = intervalOf(req.GetInterval()); err != nil {
			return err
		}
	}
	last := OrderEvents(o)
	if err := stream.SendHeader(metadata.Pairs("x-demo-method", "watch-order")); err != nil {
		return err
	}
	return every(stream.Context(), interval, max(last-req.GetAfterSeq(), 0), func(n int64) error {
		return stream.Send(OrderEventAt(o, req.GetAfterSeq()+n))
	})
}

// OrderEvents returns the number of events of order o: ACCEPTED, then one
// per fill.
func OrderEvents(o *demov1.Order) int64 {
	return 1 + min(o.GetQuantity(), orderFills)
}

// OrderEventAt is event number seq (from 1) of order o: ACCEPTED first,
// then fills of about equal parts, the last one FILLED.
func OrderEventAt(o *demov1.Order, seq int64) *demov1.OrderEvent {
	ev := &demov1.OrderEvent{Name: o.GetName(), Seq: seq, State: demov1.OrderState_ACCEPTED, Time: timestamppb.Now()}
	if seq <= 1 {
		return ev
	}
	fills := OrderEvents(o) - 1
	fill := seq - 1
	ev.FilledQuantity = o.GetQuantity() * min(fill, fills) / fills
	ev.State = demov1.OrderState_PARTIALLY_FILLED
	if fill >= fills {
		ev.State = demov1.OrderState_FILLED
	}
	price := o.GetLimitPriceCents()
	if price == 0 {
		price = int64(10_000 + seed(o.GetSymbol())%90_000)
	}
	ev.FillPriceCents = max(price+int64(seed(fmt.Sprint(o.GetName(), "#", seq))%21)-10, 1)
	return ev
}
