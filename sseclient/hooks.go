package sseclient

import (
	"context"
	"log/slog"
	"time"
)

// Hooks are functions called at the turning points of a stream's
// connection, set with [WithHooks]. They run on the goroutine that reads
// the stream (the caller of Next, Recv or the iterator) and should return
// quickly. Any of them may be nil.
type Hooks struct {
	// OnConnect is called when a response has been accepted as an event
	// stream. lastEventID is the Last-Event-ID the request carried (empty
	// if none) and attempt the number of failed attempts before it in the
	// current outage (0 when it connected at once).
	OnConnect func(url, lastEventID string, attempt int)

	// OnReconnect is called when a connection failed or dropped and the
	// client is about to wait delay before reconnection attempt number
	// attempt (from 1) of the current outage. err says why.
	OnReconnect func(url string, attempt int, delay time.Duration, err error)

	// OnGiveUp is called when the stream ends because all the allowed
	// reconnection attempts have failed; err is the error the stream
	// returns.
	OnGiveUp func(url string, attempts int, err error)

	// OnComment is called with the text of each comment line, such as a
	// heartbeat, as soon as the line has been read, in order with the
	// events around it: before Next or Recv returns the event that
	// follows it. It is called whether or not [WithCommentEvents] is set,
	// so typed streams report comments too.
	OnComment func(url, comment string)
}

// connected reports an accepted connection to the logger and the hook.
func (c *config) connected(ctx context.Context, url, lastEventID string, attempt int) {
	c.logger.LogAttrs(ctx, slog.LevelDebug, "sse connected",
		slog.String("url", url), slog.String("last_event_id", lastEventID), slog.Int("attempt", attempt))
	if c.hooks.OnConnect != nil {
		c.hooks.OnConnect(url, lastEventID, attempt)
	}
}

// reconnecting reports a coming reconnection attempt.
func (c *config) reconnecting(ctx context.Context, url string, attempt int, delay time.Duration, err error) {
	c.logger.LogAttrs(ctx, slog.LevelInfo, "sse reconnecting",
		slog.String("url", url), slog.Int("attempt", attempt), slog.Duration("delay", delay), slog.Any("error", err))
	if c.hooks.OnReconnect != nil {
		c.hooks.OnReconnect(url, attempt, delay, err)
	}
}

// gaveUp reports the end of a stream after failed reconnection attempts.
func (c *config) gaveUp(ctx context.Context, url string, attempts int, err error) {
	c.logger.LogAttrs(ctx, slog.LevelWarn, "sse giving up",
		slog.String("url", url), slog.Int("attempts", attempts), slog.Any("error", err))
	if c.hooks.OnGiveUp != nil {
		c.hooks.OnGiveUp(url, attempts, err)
	}
}

// commented reports a comment line to the hook.
func (c *config) commented(url, comment string) {
	if c.hooks.OnComment != nil {
		c.hooks.OnComment(url, comment)
	}
}
