package gateway

import (
	"compress/gzip"
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"

	"github.com/ssegw/ssegw/sse"
)

// Names of the terminal events.
const (
	EndEvent   = "end"
	ErrorEvent = "error"
)

var streamDesc = &grpc.StreamDesc{ServerStreams: true}

// serve runs one SSE stream: it reads the request's body, admits the
// stream, builds the request, opens the backend stream, commits the SSE
// response once the backend has accepted the call (or after the header
// timeout), and then pumps messages into events until the backend ends,
// fails, or the client goes away.
//
// The work up to the open stream runs on a goroutine of its own (see
// onFreshStack), and the handler's goroutine only pumps: an idle stream's
// goroutine then holds the stack its wait needs, not the deepest one of
// the stream's setup.
func (g *Gateway) serve(rt *route, w http.ResponseWriter, r *http.Request, pathParams map[string]string) {
	var s *liveStream
	onFreshStack(func() { s = g.open(rt, w, r, pathParams) })
	if s == nil {
		return
	}
	defer s.end()
	s.pump()
}

// liveStream is an SSE stream from its start to its end. It holds what
// the pump needs and nothing of the request that opened it.
type liveStream struct {
	g   *Gateway
	m   *method
	sr  *streamRecord
	ctx context.Context // the backend call's; sr.end cancels it
	cs  grpc.ClientStream
	gap *gapWatch
	rcv *receiver
	gz  *gzip.Writer // nil unless the stream is compressed
	ew  *eventWriter
}

// open takes a request up to its open stream: the backend called, the
// response committed and its headers flushed. It returns nil when the
// request has been answered (and the stream ended) already.
func (g *Gateway) open(rt *route, w http.ResponseWriter, r *http.Request, pathParams map[string]string) *liveStream {
	sr, w, req, md, ok := g.prepare(rt, w, r, pathParams)
	s := &liveStream{g: g, m: rt.method, sr: sr}
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
	ctx = metadata.NewOutgoingContext(ctx, sr.traceMetadata(md))
	s.ctx = ctx

	cs, err := g.conn.NewStream(ctx, streamDesc, rt.method.fullName, g.backendCodec)
	if err != nil {
		sr.refuse(w, err)
		return nil
	}
	if err := cs.SendMsg(req); err != nil && !errors.Is(err, io.EOF) {
		sr.refuse(w, err)
		return nil
	}
	if err := cs.CloseSend(); err != nil {
		sr.refuse(w, err)
		return nil
	}
	s.cs = cs
	s.gap = watchGap(rt.method.maxMessageGap, cancel)
	s.rcv = newReceiver(cs)
	header, headerErr, arrived := g.awaitHeader(ctx, cs)
	if arrived && (header == nil || headerErr != nil) {
		// The backend answered without headers: either it failed at once,
		// or it ended without sending anything. Find out which.
		err := s.rcv.prefetch()
		s.gap.got()
		switch {
		case errors.Is(err, io.EOF):
		case err != nil:
			sr.refuse(w, err)
			return nil
		}
	}

	if g.cfg.compress && acceptsGzip(r) {
		s.gz = g.gzipWriter(w)
		w.Header().Set("Content-Encoding", "gzip")
	}
	if g.cfg.compress {
		w.Header().Add("Vary", "Accept-Encoding")
	}
	g.commit(w, header)
	sr.opened()
	s.ew = newEventWriter(w, s.gz, cancel, rt.method.heartbeat, rt.method.heartbeatEvent, sr)
	if s.ew.start(g.cfg.retry) != nil {
		return nil
	}
	live = true
	return s
}

// pump writes the backend's messages as events until the stream ends.
func (s *liveStream) pump() {
	ev := sse.Event{Event: s.m.event}
	for {
		s.gap.wait()
		f, err := s.rcv.next()
		s.gap.got()
		if err != nil {
			s.g.finish(s.ctx, s.m, s.sr, s.ew, s.cs, err)
			return
		}
		encodeErr, writeErr := s.g.sendMessage(s.m, s.ew, &ev, f.bytes(), s.rcv.more())
		s.rcv.done()
		switch {
		case encodeErr != nil:
			// The backend stream is still open (its trailers are not
			// there yet): the stream ends here, and sr.end cancels it.
			s.g.finish(s.ctx, s.m, s.sr, s.ew, nil, encodeErr)
			return
		case writeErr != nil:
			return
		}
		s.sr.sent()
	}
}

// end ends the stream, in the reverse order of its start: no more writes,
// the compressor handed back, the receiver stopped, the gap watch
// disarmed, and the stream recorded and its call cancelled.
func (s *liveStream) end() {
	if s.ew != nil {
		s.ew.close()
	}
	if s.gz != nil {
		s.g.gzipWriters.Put(s.gz)
	}
	if s.rcv != nil {
		s.rcv.stop()
	}
	s.gap.got()
	if s.sr != nil {
		s.sr.end()
	}
}

// prepare takes a request up to the start of its stream: the HTTP method
// checked, the stream recorded, its body read before it takes a stream
// slot (a slow body must not hold one), the stream admitted, and the
// request message and metadata built. When ok is false the client has
// been answered. The caller ends sr, which is nil when the request never
// became a stream.
func (g *Gateway) prepare(rt *route, w http.ResponseWriter, r *http.Request, pathParams map[string]string) (sr *streamRecord, _ http.ResponseWriter, req proto.Message, md metadata.MD, ok bool) {
	if r.Method != rt.HTTPMethod {
		// grpc-gateway's ServeMux hands a form POST to a GET route unless
		// told otherwise, as a user's mux may not be.
		g.methodNotAllowed(w, r)
		return nil, w, nil, nil, false
	}
	sr, w = g.record(rt, w, r)
	body, err := g.routeBody(rt, w, r)
	if err != nil {
		sr.refuseBody(w, err)
		return sr, w, nil, nil, false
	}
	if !sr.admit(w) {
		return sr, w, nil, nil, false
	}
	if req, md, err = g.buildRequest(rt, r, pathParams, body); err != nil {
		sr.refuse(w, err)
		return sr, w, nil, nil, false
	}
	return sr, w, req, md, true
}

// awaitHeader waits, up to the header timeout, for the backend's response
// headers. arrived is false when the wait timed out.
func (g *Gateway) awaitHeader(ctx context.Context, cs grpc.ClientStream) (md metadata.MD, err error, arrived bool) {
	type result struct {
		md  metadata.MD
		err error
	}
	done := make(chan result, 1)
	go func() {
		md, err := cs.Header()
		done <- result{md, err}
	}()
	timer := time.NewTimer(g.cfg.headerTimeout)
	defer timer.Stop()
	select {
	case res := <-done:
		return res.md, res.err, true
	case <-timer.C:
		return nil, nil, false
	case <-ctx.Done():
		return nil, ctx.Err(), true
	}
}

// commit sends the SSE response headers, with the allowlisted backend
// header metadata.
func (g *Gateway) commit(w http.ResponseWriter, backendHeader metadata.MD) {
	h := w.Header()
	for key, values := range g.forwardedMetadata(backendHeader) {
		for _, v := range values {
			h.Add(key, v)
		}
	}
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-cache")
	h.Set("X-Accel-Buffering", "no")
	h.Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(http.StatusOK)
}

// finish ends a committed stream after RecvMsg returned err: an "end" event
// for a normal end, an "error" event for a failure, nothing when the client
// has gone, and a retry hint when the gateway tells the client to come back.
// When the backend is unavailable in the middle of a resumable stream, the
// response just ends, without a terminal event: the client reconnects
// (after the retry hint) with Last-Event-ID and resumes, from this replica
// or another, once the backend is back. cs is nil when the stream ends for
// a reason of the gateway's own, with no trailers to pass on.
func (g *Gateway) finish(ctx context.Context, m *method, sr *streamRecord, ew *eventWriter, cs grpc.ClientStream, err error) {
	if ctx.Err() != nil {
		st := gapStatus(context.Cause(ctx), m)
		if st == nil {
			sr.interrupted(ew)
			return
		}
		err, cs = st.Err(), nil // ended by the gateway: no trailers
	}
	sr.finished(err)
	var trailers metadata.MD
	if cs != nil {
		trailers = g.forwardedMetadata(cs.Trailer())
	}
	if errors.Is(err, io.EOF) {
		_ = ew.write(g.endEvent(m, trailers))
		return
	}
	st := status.Convert(err)
	if st.Code() == codes.Unavailable && m.resumable() {
		g.cfg.logger.LogAttrs(ctx, slog.LevelInfo, "backend unavailable mid-stream; the client will resume",
			slog.String("method", m.fullName), slog.String("message", st.Message()))
		return
	}
	g.cfg.logger.LogAttrs(ctx, slog.LevelDebug, "stream failed", slog.String("code", st.Code().String()), slog.String("message", st.Message()))
	if gapStatus(context.Cause(ctx), m) == nil {
		st = g.publicStatus(ctx, m, st)
	}
	_ = ew.write(&sse.Event{Event: ErrorEvent, Data: g.statusJSON(st, trailers)})
}
