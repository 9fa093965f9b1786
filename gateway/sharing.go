package gateway

import (
	"fmt"
	"slices"
	"time"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/types/known/durationpb"

	ssegwv1 "github.com/ssegw/ssegw/gen/ssegw/v1"
	"github.com/ssegw/ssegw/internal/fanout"
)

// Defaults of shared streams (see ssegwv1.Sharing).
const (
	DefaultShareReplayEvents = 128
	DefaultShareQueueEvents  = 128
	DefaultShareQueueBytes   = 256 << 10
	DefaultShareLinger       = 5 * time.Second
	// MaxShareEvents bounds replay_events and queue_events.
	MaxShareEvents = 1 << 20
)

// sharing is how a method's streams are shared.
type sharing struct {
	public  bool
	cfg     fanout.Config
	metrics *shareMetrics // nil without WithMetrics
}

// WithSharing makes requests for the same stream of one method, named by
// its full name ("pkg.Service.Method"), share one backend call, as the
// share field of the ssegw.v1.stream option does. s replaces the proto's
// share option as a whole: a field s leaves unset takes its default, not
// the proto's value, so that an override can set any field back to its
// zero (public: false, no linger). See ssegwv1.Sharing for what each
// means; an empty Sharing shares with the defaults.
func WithSharing(method string, s *ssegwv1.Sharing) Option {
	return func(c *config) {
		if s == nil {
			s = &ssegwv1.Sharing{}
		}
		c.sharing[protoreflect.FullName(method)] = proto.CloneOf(s)
	}
}

// streamOptions returns the stream options of md: its proto option, with
// those given with WithMethodOptions laid over it, and its share option
// replaced by the one given with WithSharing.
func (c *config) streamOptions(md protoreflect.MethodDescriptor) *ssegwv1.StreamOptions {
	opts := streamOptionsOf(md, c.methodOptions[md.FullName()])
	if s, ok := c.sharing[md.FullName()]; ok {
		opts.Share = proto.CloneOf(s)
	}
	return opts
}

// newSharing checks s and fills in the defaults; it returns nil for a nil
// s, a method whose streams are not shared.
func newSharing(s *ssegwv1.Sharing) (*sharing, error) {
	if s == nil {
		return nil, nil
	}
	sh := &sharing{
		public: s.GetPublic(),
		cfg: fanout.Config{
			QueueEvents:  DefaultShareQueueEvents,
			QueueBytes:   DefaultShareQueueBytes,
			ReplayEvents: DefaultShareReplayEvents,
			Linger:       DefaultShareLinger,
		},
	}
	if s.ReplayEvents != nil {
		sh.cfg.ReplayEvents = int(s.GetReplayEvents())
	}
	if n := s.GetQueueEvents(); n > 0 {
		sh.cfg.QueueEvents = int(n)
	}
	if n := s.GetQueueBytes(); n > 0 {
		sh.cfg.QueueBytes = int(n)
	}
	if sh.cfg.ReplayEvents > MaxShareEvents || sh.cfg.QueueEvents > MaxShareEvents {
		return nil, fmt.Errorf("replay_events and queue_events may be at most %d", MaxShareEvents)
	}
	if err := setDuration(&sh.cfg.ReplayAge, "replay_age", s.GetReplayAge()); err != nil {
		return nil, err
	}
	if err := setDuration(&sh.cfg.Linger, "linger", s.GetLinger()); err != nil {
		return nil, err
	}
	if err := sh.cfg.Validate(); err != nil {
		return nil, err
	}
	return sh, nil
}

// setDuration sets *to to d when d is set, after checking it.
func setDuration(to *time.Duration, name string, d *durationpb.Duration) error {
	if d == nil {
		return nil
	}
	if err := d.CheckValid(); err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	if *to = d.AsDuration(); *to < 0 {
		return fmt.Errorf("%s must not be negative", name)
	}
	return nil
}

// setupSharing checks the methods named by WithSharing and makes the hub
// when a method shares its streams.
func (g *Gateway) setupSharing() error {
	for name := range g.cfg.sharing {
		if !slices.ContainsFunc(g.routes, func(rt *route) bool { return !rt.Unary && rt.method.desc.FullName() == name }) {
			return fmt.Errorf("gateway: sharing given for %s, which is not a served server-streaming method", name)
		}
	}
	if slices.ContainsFunc(g.routes, func(rt *route) bool { return rt.method.share != nil }) {
		g.hub = fanout.NewHub()
	}
	return nil
}
