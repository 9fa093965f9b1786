package sse

import (
	"bytes"
	"fmt"
	"io"
	"math"
	"time"
	"unicode/utf8"
)

const (
	// readBufSize is the initial size of the read buffer, and the size it
	// returns to after a long line has been consumed.
	readBufSize = 32 << 10

	// maxRetainedReadBuf is the largest read buffer kept once it is empty.
	maxRetainedReadBuf = 4 * readBufSize

	// maxRetainedBlockBuf is the largest per-block buffer (data, comment)
	// kept for reuse after an event has been dispatched.
	maxRetainedBlockBuf = 64 << 10

	// maxEmptyReads is the number of consecutive reads returning no data
	// and no error after which the reader gives up with io.ErrNoProgress.
	maxEmptyReads = 100

	// maxRetryMillis is the largest retry value, in milliseconds, that fits
	// in a time.Duration; larger values saturate to it.
	maxRetryMillis = math.MaxInt64 / int64(time.Millisecond)
)

// bom is the UTF-8 encoding of U+FEFF, stripped from the start of a stream.
const bom = "\xEF\xBB\xBF"

// Reader parses a text/event-stream exactly as the WHATWG HTML Living
// Standard, section "Interpreting an event stream", prescribes:
//
//   - The stream is decoded as UTF-8. One leading byte order mark is
//     stripped; invalid sequences are replaced by U+FFFD, one per maximal
//     subpart as the WHATWG UTF-8 decoder does.
//   - Lines end with CRLF, a lone LF or a lone CR. A line ending in CR is
//     processed as soon as the CR arrives.
//   - An empty line dispatches the pending event. A line starting with ':'
//     is a comment; its text, with one leading space removed, is kept for
//     [Event.Comment]. Otherwise the field name is the text before the first
//     colon (or the whole line) and the value is the text after it with one
//     leading space removed.
//   - "event" sets the event type, "data" appends a line to the data, "id"
//     sets the last event ID unless the value contains NUL, "retry" sets the
//     reconnection time if the value consists of ASCII digits only (values
//     that overflow a [time.Duration] saturate); other fields are ignored.
//   - On dispatch the last event ID is committed. A block without data is
//     not dispatched (unless [WithCommentEvents] or [WithRetryEvents] ask
//     for it); otherwise one trailing LF is removed from the data.
//   - At the end of the stream a pending, unterminated event is discarded.
//
// Unlike a browser, the Reader bounds the size of a single event block (see
// [WithMaxEventSize]) and keeps the comments of a block, which count towards
// that bound; [Reader.NextOrComment] returns comment lines instead, one by
// one as they are read.
//
// A Reader buffers its input and does not read ahead once a complete event
// is buffered. It is not safe for concurrent use.
type Reader struct {
	src io.Reader
	cfg readerConfig

	// Read buffer. The unread input is buf[rpos:wpos].
	buf        []byte
	rpos, wpos int
	// scanned is the length of the prefix of buf[rpos:wpos] known to hold
	// neither CR nor LF.
	scanned int
	// nextLF is the index in buf of the first LF at or after rpos, or -1 if
	// it is not known; in that case buf[rpos:lfSearched] holds no LF.
	nextLF     int
	lfSearched int

	skipLF  bool  // the last line ended in CR: ignore an LF that follows
	bomDone bool  // the start of the stream has been checked for a BOM
	readErr error // error returned by src, reported once the buffer is drained
	err     error // sticky error returned by Next

	// State of the block being parsed.
	data       []byte // decoded data lines, each followed by LF
	eventType  []byte // decoded event type buffer
	comment    []byte // decoded comment lines joined with LF
	hasComment bool
	hasRetry   bool
	blockRetry time.Duration

	// State that persists across blocks.
	idBuf    []byte        // last event ID buffer
	lastID   string        // committed last event ID
	lastType string        // last dispatched event type, reused to avoid allocation
	retry    time.Duration // most recent valid retry value
}

// NewReader returns a Reader that parses the event stream read from r.
func NewReader(r io.Reader, opts ...ReaderOption) *Reader {
	cfg := readerConfig{maxEventSize: DefaultMaxEventSize}
	for _, opt := range opts {
		opt(&cfg)
	}
	return &Reader{src: r, cfg: cfg, nextLF: -1, idBuf: []byte(cfg.lastEventID), lastID: cfg.lastEventID}
}

// Next returns the next dispatched event.
//
// It returns as soon as the blank line ending an event has been read,
// without waiting for further input. At the end of the stream it returns
// [io.EOF], discarding a pending event that was not terminated by a blank
// line. It returns an error wrapping [ErrEventTooLarge] if an event block
// exceeds the maximum size, and errors from the underlying reader other
// than io.EOF unchanged. After an error, Next keeps returning that error.
func (r *Reader) Next() (Event, error) {
	ev, _, err := r.next(false)
	return ev, err
}

// NextOrComment is Next that also returns each comment line, as soon as
// the line has been read, without waiting for the blank line that ends its
// block. For a comment line it returns comment true and an Event whose
// Comment is the line's text (decoded, one leading space removed) and
// whose ID is the last event ID; its other fields are empty. The block the
// comment occurred in goes on as if the line were not there: the comment
// is not added to the Comment of the block's event, and a block that
// carried only comments is not dispatched ([WithCommentEvents] does not
// apply to the comment lines it returns). Events are otherwise dispatched
// exactly as by Next, in stream order with the comments around them.
//
// A comment line is bounded like the line being read by Next: its decoded
// text and the block so far must fit in the maximum event size, or
// NextOrComment fails with [ErrEventTooLarge]; it is not kept once
// returned. A comment line that is not terminated when the stream ends is
// discarded, like any incomplete line. Next and NextOrComment may be mixed
// on one Reader.
func (r *Reader) NextOrComment() (ev Event, comment bool, err error) {
	return r.next(true)
}

// next reads up to the next event to dispatch or, with commentLines, up to
// the next comment line, whichever comes first.
func (r *Reader) next(commentLines bool) (Event, bool, error) {
	if r.err != nil {
		return Event{}, false, r.err
	}
	for {
		line, err := r.readLine()
		if err != nil {
			return Event{}, false, r.fail(err)
		}
		if len(line) == 0 {
			if ev, ok := r.dispatch(); ok {
				return ev, false, nil
			}
			continue
		}
		if commentLines && line[0] == ':' {
			// Decoding may lengthen the line: check its decoded size.
			text := decodeComment(line)
			if r.pending()+len(text) > r.cfg.maxEventSize {
				return Event{}, false, r.fail(r.tooLarge())
			}
			return Event{ID: r.lastID, Comment: text}, true, nil
		}
		r.processLine(line)
		if r.pending() > r.cfg.maxEventSize {
			return Event{}, false, r.fail(r.tooLarge())
		}
	}
}

// fail records err as the sticky error and releases the buffers, which are
// not needed any more.
func (r *Reader) fail(err error) error {
	r.err = err
	r.buf, r.rpos, r.wpos, r.scanned, r.nextLF, r.lfSearched = nil, 0, 0, 0, -1, 0
	r.data, r.eventType, r.comment = nil, nil, nil
	return err
}

// LastEventID returns the stream's last event ID: the value of the most
// recent valid id field, as committed by the most recent blank line. This is
// the value to send in the Last-Event-ID header when reconnecting. It is
// updated even by blocks that are not dispatched.
func (r *Reader) LastEventID() string {
	return r.lastID
}

// Retry returns the most recent valid retry value seen on the stream, or 0
// if there was none.
func (r *Reader) Retry() time.Duration {
	return r.retry
}

// pending returns the size of the block being parsed.
func (r *Reader) pending() int {
	return len(r.data) + len(r.eventType) + len(r.comment)
}

// tooLarge returns the error for a block that exceeds the size limit.
func (r *Reader) tooLarge() error {
	return fmt.Errorf("%w: more than %d bytes", ErrEventTooLarge, r.cfg.maxEventSize)
}

// readLine returns the next line without its terminator. The line aliases
// the read buffer and is valid until the next call.
func (r *Reader) readLine() ([]byte, error) {
	for {
		if !r.bomDone {
			if more := r.checkBOM(); more {
				r.fill()
				continue
			}
		}
		if r.skipLF && r.rpos < r.wpos {
			r.skipLF = false
			if r.buf[r.rpos] == '\n' {
				r.consume(r.rpos + 1)
			}
		}
		if end, ok := r.findLineEnd(); ok {
			line := r.buf[r.rpos:end]
			if r.pending()+len(line) > r.cfg.maxEventSize {
				return nil, r.tooLarge()
			}
			next := end + 1
			if r.buf[end] == '\r' {
				switch {
				case next == r.wpos:
					r.skipLF = true
				case r.buf[next] == '\n':
					next++
				}
			}
			r.consume(next)
			return line, nil
		}
		// Only an incomplete line is buffered.
		if r.pending()+r.wpos-r.rpos > r.cfg.maxEventSize {
			return nil, r.tooLarge()
		}
		if r.readErr != nil {
			return nil, r.readErr
		}
		r.fill()
	}
}

// checkBOM strips a byte order mark at the very start of the stream. It
// reports whether more input is needed to decide.
func (r *Reader) checkBOM() (more bool) {
	n := min(r.wpos-r.rpos, len(bom))
	switch {
	case string(r.buf[r.rpos:r.rpos+n]) != bom[:n]:
		r.bomDone = true
	case n == len(bom):
		r.bomDone = true
		r.consume(r.rpos + n)
	case r.readErr != nil:
		// A truncated BOM at the end of the stream is ordinary input.
		r.bomDone = true
	default:
		return true
	}
	return false
}

// findLineEnd returns the index in buf of the CR or LF that ends the first
// line of the buffered input, if that line is complete.
func (r *Reader) findLineEnd() (int, bool) {
	start := r.rpos + r.scanned
	lf := r.nextLF
	if lf < 0 {
		from := max(start, r.lfSearched)
		if i := bytes.IndexByte(r.buf[from:r.wpos], '\n'); i >= 0 {
			lf = from + i
			r.nextLF = lf
		} else {
			r.lfSearched = r.wpos
		}
	}
	crEnd := r.wpos
	if lf >= 0 {
		crEnd = lf
	}
	if i := bytes.IndexByte(r.buf[start:crEnd], '\r'); i >= 0 {
		return start + i, true
	}
	if lf >= 0 {
		return lf, true
	}
	r.scanned = r.wpos - r.rpos
	return 0, false
}

// consume advances the read position to pos, the start of a new line.
func (r *Reader) consume(pos int) {
	r.rpos = pos
	r.scanned = 0
	if r.nextLF >= 0 && r.nextLF < pos {
		r.nextLF = -1
	}
	if r.nextLF < 0 && r.lfSearched < pos {
		r.lfSearched = pos
	}
}

// fill reads more input into the buffer, keeping the unread bytes. It makes
// room by discarding consumed bytes or, for a long line, by growing the
// buffer up to about the maximum event size plus one read buffer.
func (r *Reader) fill() {
	if r.rpos == r.wpos {
		r.rpos, r.wpos, r.scanned, r.nextLF, r.lfSearched = 0, 0, 0, -1, 0
		if len(r.buf) > maxRetainedReadBuf {
			r.buf = nil
		}
	}
	if r.buf == nil {
		r.buf = make([]byte, readBufSize)
	}
	if r.wpos == len(r.buf) {
		unread := r.wpos - r.rpos
		limit := r.cfg.maxEventSize + readBufSize
		if limit < 0 { // overflow with a huge maximum
			limit = math.MaxInt
		}
		if unread > len(r.buf)/2 && len(r.buf) < limit {
			size := len(r.buf) * 2
			if size > limit || size < 0 {
				size = limit
			}
			buf := make([]byte, size)
			copy(buf, r.buf[r.rpos:r.wpos])
			r.buf = buf
		} else {
			copy(r.buf, r.buf[r.rpos:r.wpos])
		}
		r.shift(r.rpos)
	}
	for range maxEmptyReads {
		n, err := r.src.Read(r.buf[r.wpos:])
		if n < 0 || n > len(r.buf)-r.wpos {
			r.readErr = fmt.Errorf("sse: invalid count %d returned by Read", n)
			return
		}
		r.wpos += n
		if err != nil {
			r.readErr = err
			return
		}
		if n > 0 {
			return
		}
	}
	r.readErr = io.ErrNoProgress
}

// shift adjusts the buffer positions after the unread input has been moved
// s bytes towards the start of the buffer.
func (r *Reader) shift(s int) {
	r.rpos -= s
	r.wpos -= s
	r.lfSearched -= s
	if r.nextLF >= 0 {
		r.nextLF -= s
	}
}

// processLine interprets one non-empty line.
func (r *Reader) processLine(line []byte) {
	if line[0] == ':' {
		if r.hasComment {
			r.comment = append(r.comment, '\n')
		}
		r.hasComment = true
		r.comment = appendUTF8(r.comment, trimSpace(line[1:]))
		return
	}
	name, value := line, []byte(nil)
	if i := bytes.IndexByte(line, ':'); i >= 0 {
		name, value = line[:i], trimSpace(line[i+1:])
	}
	// Field names are compared before decoding: a name matches one of
	// these ASCII names exactly when its decoded form does.
	switch string(name) {
	case "event":
		r.eventType = appendUTF8(r.eventType[:0], value)
	case "data":
		r.data = appendUTF8(r.data, value)
		r.data = append(r.data, '\n')
	case "id":
		if bytes.IndexByte(value, 0) < 0 {
			r.idBuf = appendUTF8(r.idBuf[:0], value)
		}
	case "retry":
		if ms, ok := parseRetry(value); ok {
			d := time.Duration(ms) * time.Millisecond
			r.retry = d
			r.blockRetry = d
			r.hasRetry = true
		}
	}
}

// decodeComment returns the text of a comment line: the line after its
// colon, with one leading space removed, decoded as UTF-8.
func decodeComment(line []byte) string {
	text := trimSpace(line[1:])
	if utf8.Valid(text) {
		return string(text)
	}
	return string(appendUTF8(nil, text))
}

// trimSpace removes one leading U+0020 SPACE from a field value.
func trimSpace(v []byte) []byte {
	if len(v) > 0 && v[0] == ' ' {
		return v[1:]
	}
	return v
}

// parseRetry parses a retry value: a non-empty string of ASCII digits, read
// as base-10 milliseconds and saturated at maxRetryMillis.
func parseRetry(v []byte) (int64, bool) {
	if len(v) == 0 {
		return 0, false
	}
	var ms int64
	for _, c := range v {
		if c < '0' || c > '9' {
			return 0, false
		}
		d := int64(c - '0')
		if ms > (maxRetryMillis-d)/10 {
			ms = maxRetryMillis
			continue
		}
		ms = ms*10 + d
	}
	return ms, true
}

// dispatch ends the current block. It commits the last event ID and reports
// whether the block yields an event.
func (r *Reader) dispatch() (Event, bool) {
	if string(r.idBuf) != r.lastID {
		r.lastID = string(r.idBuf)
	}
	defer r.resetBlock()
	if len(r.data) == 0 &&
		!(r.cfg.commentEvents && r.hasComment) &&
		!(r.cfg.retryEvents && r.hasRetry) {
		return Event{}, false
	}
	ev := Event{ID: r.lastID}
	if r.hasRetry {
		ev.Retry = r.blockRetry
	}
	if r.hasComment {
		ev.Comment = string(r.comment)
	}
	if len(r.data) > 0 {
		if string(r.eventType) != r.lastType {
			r.lastType = string(r.eventType)
		}
		ev.Event = r.lastType
		// The data buffer ends with LF; the copy leaves it out.
		ev.Data = make([]byte, len(r.data)-1)
		copy(ev.Data, r.data)
	}
	return ev, true
}

// resetBlock clears the per-block state after a blank line.
func (r *Reader) resetBlock() {
	r.data = r.data[:0]
	if cap(r.data) > maxRetainedBlockBuf {
		r.data = nil
	}
	r.comment = r.comment[:0]
	if cap(r.comment) > maxRetainedBlockBuf {
		r.comment = nil
	}
	r.eventType = r.eventType[:0]
	r.hasComment = false
	r.hasRetry = false
	r.blockRetry = 0
}
