package faulttest

import (
	"bufio"
	"bytes"
	"io"
	"net/http"
)

// insideEvent reports whether an HTTP response that was cut short ends
// inside an event: after at least one whole event, with bytes of the next
// one but not its blank line.
func insideEvent(response []byte) bool {
	resp, err := http.ReadResponse(bufio.NewReader(bytes.NewReader(response)), nil)
	if err != nil {
		return false
	}
	body, _ := io.ReadAll(resp.Body) // fails at the cut, after what came before it
	resp.Body.Close()
	rest := body[bytes.LastIndex(body, []byte("\n\n"))+2:]
	return bytes.Count(body, []byte("\n\n")) >= 2 && len(rest) > 0
}

// insideMessage reports whether what a connection received from a gRPC
// server (HTTP/2 frames, the server sends no preface) ends inside a DATA
// frame, that is inside a message.
func insideMessage(frames []byte) bool {
	const header, data = 9, 0
	for len(frames) >= header {
		n := int(frames[0])<<16 | int(frames[1])<<8 | int(frames[2])
		if len(frames) < header+n {
			return frames[3] == data
		}
		frames = frames[header+n:]
	}
	return false
}
