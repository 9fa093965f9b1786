package gateway

import (
	"context"
	"log/slog"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// unavailableMessage is the message clients get with every UNAVAILABLE
// status of a backend call, before or after the stream started.
const unavailableMessage = "the backend is unavailable; retry later"

// publicStatus returns what a client is told of st, a status that ended
// the backend call of method m. An UNAVAILABLE status without details is
// most often gRPC's own account of a failed connection, which names the
// backend's address and the transport's error ("connection error: desc =
// … dial tcp 10.1.2.3:9090: connect: connection refused", "error reading
// from server: read tcp …: connection reset by peer"): the client gets the
// code and a neutral message, and the original message is logged. gRPC
// gives such statuses no details, so a backend that sends UNAVAILABLE with
// details (RetryInfo, ErrorInfo) is passed on as it is.
func (g *Gateway) publicStatus(ctx context.Context, m *method, st *status.Status) *status.Status {
	if st.Code() != codes.Unavailable || len(st.Proto().GetDetails()) > 0 || st.Message() == unavailableMessage {
		return st
	}
	g.cfg.logger.LogAttrs(ctx, slog.LevelWarn, "backend unavailable",
		slog.String("method", m.fullName), slog.String("error", st.Message()))
	p := st.Proto()
	p.Message = unavailableMessage
	return status.FromProto(p)
}
