package fanout

import (
	"fmt"
	"time"
)

// Config says how a shared stream buffers, replays and lingers.
type Config struct {
	// QueueEvents and QueueBytes bound how far a subscriber may fall
	// behind the newest event, in events and in bytes. The stream's log
	// holds the newest max(QueueEvents, ReplayEvents) events, in at most
	// QueueBytes bytes (but always the newest event, whatever its size);
	// a subscriber whose next event has left it is cut. Both must be
	// positive.
	QueueEvents int
	QueueBytes  int

	// ReplayEvents is the replay window: a subscriber may join after any
	// of the newest ReplayEvents events still in the log. Zero means no
	// replay.
	ReplayEvents int
	// ReplayAge, when positive, narrows the window to the events
	// published within that long.
	ReplayAge time.Duration

	// Linger is how long the producer keeps running after its last
	// subscriber has left; a subscriber that joins within it joins the
	// running stream. Zero cancels the producer at once.
	Linger time.Duration
}

// Validate reports whether c can configure a stream.
func (c Config) Validate() error {
	switch {
	case c.QueueEvents < 1:
		return fmt.Errorf("fanout: queue events must be positive, not %d", c.QueueEvents)
	case c.QueueBytes < 1:
		return fmt.Errorf("fanout: queue bytes must be positive, not %d", c.QueueBytes)
	case c.ReplayEvents < 0:
		return fmt.Errorf("fanout: replay events must not be negative, not %d", c.ReplayEvents)
	case c.ReplayAge < 0:
		return fmt.Errorf("fanout: replay age must not be negative, not %v", c.ReplayAge)
	case c.Linger < 0:
		return fmt.Errorf("fanout: linger must not be negative, not %v", c.Linger)
	}
	return nil
}

// logEvents is the number of events the log holds at most.
func (c Config) logEvents() int {
	return max(c.QueueEvents, c.ReplayEvents, 1)
}
