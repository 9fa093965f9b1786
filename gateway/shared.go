package gateway

import (
	"context"
	"errors"
	"io"
	"net/http"
	"strconv"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"

	"github.com/ssegw/ssegw/internal/fanout"
	"github.com/ssegw/ssegw/sse"
)

// Shared streams.
//
// A request for a method that shares its streams joins the stream of its
// key (see sharedKey) in the gateway's hub, starting the backend call when
// there is none. Without a Last-Event-ID it joins live. With one, it
// resumes after that id from the stream's replay window when the id is
// there ("replay"); otherwise a method whose events carry ids of the
// backend's joins a backend call resumed from that id, which the other
// subscribers resuming from the same id share ("resume"), and a method
// without ids (whose ids name the epoch of a stream) joins live. The
// subscriber's goroutine is the request's own: it reads the stream's log
// at its cursor and writes the events' bytes as they are.

// Ways a subscriber joins a shared stream, for the access log and
// metrics.
const (
	joinLive   = "live"
	joinReplay = "replay"
	joinResume = "resume"
)

// sharedBatch is how many events a subscriber takes from the log at once.
const sharedBatch = 16

// serveShared serves one subscriber of a shared stream. As for other
// streams (see serve), the work up to the committed response runs on a
// goroutine of its own, and the handler's goroutine only waits for the
// stream's events and writes them, on a small stack.
func (g *Gateway) serveShared(rt *route, w http.ResponseWriter, r *http.Request, pathParams map[string]string) {
	var s *subscription
	onFreshStack(func() { s = g.subscribe(rt, w, r, pathParams) })
	if s == nil {
		return
	}
	defer s.end()
	s.follow()
}

// subscription is a subscriber's SSE stream, from its committed response
// to its end.
type subscription struct {
	g   *Gateway
	m   *method
	sr  *streamRecord
	ctx context.Context // sr.end cancels it
	sub *fanout.Subscriber
	sm  *shareMetrics // nil without metrics
	ew  *eventWriter
}

// subscribe takes a request up to its committed response: it joins the
// shared stream and writes the response's headers. It returns nil when
// the request has been answered (and the subscription ended) already.
func (g *Gateway) subscribe(rt *route, w http.ResponseWriter, r *http.Request, pathParams map[string]string) *subscription {
	sr, w, req, md, ok := g.prepare(rt, w, r, pathParams)
	s := &subscription{g: g, m: rt.method, sr: sr}
	live := false
	defer func() {
		if !live {
			s.end()
		}
	}()
	if !ok {
		return nil
	}
	ctx, cancel := sr.context(r.Context()) // sr.end cancels it
	s.ctx = ctx
	m := rt.method
	sub, err := g.joinShared(sr, m, req, md)
	if err != nil {
		sr.refuse(w, err)
		return nil
	}
	s.sub, s.sm = sub, m.share.metrics
	if s.sm != nil {
		s.sm.subscribers.Inc()
		s.sm.joins.WithLabelValues(sr.join).Inc()
		s.sm.replayed.Add(float64(sr.replayed))
	}
	header, err := sub.Open(ctx)
	if err != nil {
		sr.refuse(w, err)
		return nil
	}
	backendHeader, _ := header.(metadata.MD)
	g.commit(w, backendHeader)
	sr.opened()
	s.ew = newEventWriter(w, nil, cancel, m.heartbeat, m.heartbeatEvent, sr)
	if s.ew.start(g.cfg.retry) != nil {
		return nil
	}
	live = true
	return s
}

// end ends the subscription: its event writer, its place in the shared
// stream, then its record, in that order.
func (s *subscription) end() {
	if s.ew != nil {
		s.ew.close()
	}
	if s.sub != nil {
		s.sub.Close()
		if s.sm != nil {
			s.sm.subscribers.Dec()
		}
	}
	if s.sr != nil {
		s.sr.end()
	}
}

// follow writes the shared stream's events to the subscriber until the
// stream ends, the subscriber falls behind, or the client goes away.
func (s *subscription) follow() {
	g, sr, sm, ew, sub, ctx := s.g, s.sr, s.sm, s.ew, s.sub, s.ctx
	var buf [sharedBatch][]byte
	for {
		events, err := sub.Next(ctx, buf[:0])
		switch {
		case err == nil:
			if ew.sendEncoded(events, sub.Ready()) != nil {
				return
			}
			for range events {
				sr.sent()
			}
			if sm != nil {
				sm.fannedOut.Add(float64(len(events)))
			}
		case errors.Is(err, fanout.ErrEnded):
			if ctx.Err() != nil {
				sr.interrupted(ew)
				return
			}
			final, backendErr := sub.Outcome()
			if backendErr == nil {
				backendErr = io.EOF
			}
			sr.finished(backendErr)
			if final != nil {
				_ = ew.sendEncoded([][]byte{final}, false)
			}
			return
		case errors.Is(err, fanout.ErrFellBehind):
			// Cut alone: told to come back, without an end event, it
			// resumes from its last id.
			sr.reason, sr.code = reasonOverflow, codeOverflow
			if sm != nil {
				sm.overflows.Inc()
			}
			_ = ew.write(&sse.Event{Retry: jitter(g.ops.cfg.drainRetry)})
			return
		default:
			sr.interrupted(ew)
			return
		}
	}
}

// joinShared subscribes the request to its shared stream, and records in
// sr how it joined.
func (g *Gateway) joinShared(sr *streamRecord, m *method, req proto.Message, md metadata.MD) (*fanout.Subscriber, error) {
	share := m.share
	var lastID string
	if v := md[lastEventIDKey]; len(v) > 0 {
		lastID = v[0]
	}
	key, err := sharedKey(m, req, md, share.public, lastID != "")
	if err != nil {
		return nil, status.Errorf(codes.Internal, "the key of a shared stream: %v", err)
	}
	// The live call: the request without the resume field, and the
	// metadata without the last event id, or with none of the caller's
	// when the stream is public.
	liveMD := metadata.MD{}
	if !share.public {
		liveMD = withoutLastEventID(md)
	}
	liveReq := req
	if lastID != "" && m.resume != nil {
		liveReq = proto.Clone(req)
		clearScalarPath(liveReq.ProtoReflect(), m.resume)
	}
	live := fanout.Spec{Config: share.cfg, Produce: g.sharedCall(m, liveReq, sr.traceMetadata(liveMD))}

	sr.join = joinLive
	if lastID == "" {
		return g.hub.Join(key, "", live)
	}
	sub, err := g.hub.Join(key, lastID, live)
	if err == nil {
		sr.join, sr.replayed = joinReplay, sub.Replayed()
		return sub, nil
	}
	if !errors.Is(err, fanout.ErrNotInWindow) {
		return nil, err
	}
	if !m.resumable() {
		// An id of another epoch, or out of the window: the stream
		// cannot be resumed, and goes on live.
		return g.hub.Join(key, "", live)
	}
	// Out of the window: a backend call resumed from the id, shared with
	// the subscribers that resume from the same id.
	callMD := md
	if share.public {
		callMD = metadata.MD{lastEventIDKey: md[lastEventIDKey]}
	}
	resume := fanout.Spec{Config: share.cfg, Start: lastID, Produce: g.sharedCall(m, req, sr.traceMetadata(callMD.Copy()))}
	sr.join = joinResume
	resumeKey := key + "\x00" + lastID
	sub, err = g.hub.Join(resumeKey, lastID, resume)
	if errors.Is(err, fanout.ErrNotInWindow) {
		// That call has gone past the window since: one of its own.
		sub, err = g.hub.Join(resumeKey+"\x00"+strconv.FormatUint(g.private.Add(1), 10), lastID, resume)
	}
	return sub, err
}

// sendEncoded writes events that are encoded already, and flushes them
// unless more says that others follow at once.
func (ew *eventWriter) sendEncoded(events [][]byte, more bool) error {
	ew.mu.Lock()
	defer ew.mu.Unlock()
	if ew.err != nil {
		return ew.err
	}
	if more {
		ew.batch.begin()
	} else {
		ew.deadline()
	}
	for _, p := range events {
		if _, err := ew.batch.Write(p); err != nil {
			return ew.done(err)
		}
	}
	if more {
		return nil
	}
	return ew.done(nil)
}
