package sseclient_test

import (
	"io"
	"iter"
	"net/http"
	"strings"
	"sync"
	"testing"
	"testing/iotest"

	demov1 "github.com/ssegw/ssegw/gen/examples/demo/v1"
	"github.com/ssegw/ssegw/sse"
	"github.com/ssegw/ssegw/sseclient"
)

// streamPart is a piece of an event stream that a steppedServer writes at
// once, and what the client must deliver from it before the next piece
// is written.
type streamPart struct {
	text       string
	byteByByte bool     // write and flush one byte at a time
	want       []string // the items delivered, as describe renders them
}

// startSteppedServer serves an event stream in parts: it answers at once,
// then writes and flushes each part only when the test sends on the
// returned channel (which never blocks), and ends the response after the
// last one. A client that holds back a comment until more input arrives
// never gets the next part.
func startSteppedServer(t *testing.T, parts []streamPart) (*sseServer, chan<- struct{}) {
	t.Helper()
	next := make(chan struct{}, len(parts))
	srv := startSSEServer(t, func(w http.ResponseWriter, r *http.Request, n int) {
		writeSSE(w, "")
		for _, p := range parts {
			select {
			case <-next:
			case <-r.Context().Done():
				return
			}
			if !p.byteByByte {
				writeSSE(w, p.text)
				continue
			}
			for i := range len(p.text) {
				writeSSE(w, p.text[i:i+1])
			}
		}
	})
	return srv, next
}

// commentParts puts comments everywhere a stream can hold them.
var commentParts = []streamPart{
	{text: ": before\n", want: []string{"[|||:before]"}},
	// The id is committed only by the blank line that ends the block.
	{text: "id: 1\ndata: a\n: inside\n", want: []string{"[|||:inside]"}},
	{text: "data: b\n\n", want: []string{"[|1|a\nb]"}},
	{text: ": after, with no blank line after it\n", want: []string{"[|1||:after, with no blank line after it]"}},
	{text: ": split\r\n", byteByByte: true, want: []string{"[|1||:split]"}},
	{text: "\nevent: e\ndata: c\n: in e\n\n: at the end\n", want: []string{"[|1||:in e]", "[e|1|c]", "[|1||:at the end]"}},
}

// oneByteBodies makes every response body return one byte per Read.
type oneByteBodies struct{ base http.RoundTripper }

func (o oneByteBodies) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := o.base.RoundTrip(req)
	if err != nil {
		return nil, err
	}
	resp.Body = struct {
		io.Reader
		io.Closer
	}{iotest.OneByteReader(resp.Body), resp.Body}
	return resp, nil
}

// TestCommentsAsTheyArrive reads a stream whose server sends comments
// before, inside and after event blocks, with and without a blank line
// after them, split over writes and at the end, and holds back the rest
// of the stream until the client has delivered what it sent: each comment
// reaches the raw iterator, EventStream.Next and the OnComment hook as
// soon as its line has been read, in order with the events.
func TestCommentsAsTheyArrive(t *testing.T) {
	open := map[string]func(c *sseclient.Client, url string, opts ...sseclient.Option) (next func() (sse.Event, error), stop func()){
		"Events": func(c *sseclient.Client, url string, opts ...sseclient.Option) (func() (sse.Event, error), func()) {
			next, stop := iter.Pull2(iter.Seq2[sse.Event, error](c.Events(testContext(t), url, opts...)))
			return func() (sse.Event, error) {
				ev, err, ok := next()
				if !ok {
					return sse.Event{}, io.EOF
				}
				return ev, err
			}, stop
		},
		"EventStream.Next": func(c *sseclient.Client, url string, opts ...sseclient.Option) (func() (sse.Event, error), func()) {
			s, err := c.Open(testContext(t), url, opts...)
			if err != nil {
				t.Fatal(err)
			}
			return s.Next, func() { s.Close() }
		},
	}
	bodies := map[string]func(http.RoundTripper) http.RoundTripper{
		"socket reads":      func(rt http.RoundTripper) http.RoundTripper { return rt },
		"one byte per read": func(rt http.RoundTripper) http.RoundTripper { return oneByteBodies{rt} },
	}
	for apiName, openStream := range open {
		for bodyName, wrap := range bodies {
			t.Run(apiName+"/"+bodyName, func(t *testing.T) {
				srv, send := startSteppedServer(t, commentParts)
				hc := newHTTPClient(t)
				hc.Transport = wrap(hc.Transport)
				var mu sync.Mutex
				var hooked []string
				hooks := sseclient.Hooks{OnComment: func(_, comment string) {
					mu.Lock()
					defer mu.Unlock()
					hooked = append(hooked, comment)
				}}
				c := newClient(t, srv.URL, hc, sseclient.WithCommentEvents(), sseclient.WithHooks(hooks))
				next, stop := openStream(c, "/")
				defer stop()
				var comments []string
				for i, part := range commentParts {
					send <- struct{}{}
					for _, want := range part.want {
						ev, err := next()
						if err != nil {
							t.Fatalf("part %d: %v, want %s", i, err, want)
						}
						if got := describe([]sse.Event{ev}); got != want {
							t.Fatalf("part %d: got %s, want %s", i, got, want)
						}
						if ev.Data != nil {
							continue
						}
						comments = append(comments, ev.Comment)
						// The hook saw the comment before Next returned it.
						mu.Lock()
						seen := strings.Join(hooked, "|")
						mu.Unlock()
						if want := strings.Join(comments, "|"); seen != want {
							t.Fatalf("part %d: the hook saw %q, want %q", i, seen, want)
						}
					}
				}
				if ev, err := next(); err != io.EOF {
					t.Fatalf("after the last part: %s, %v; want the end of the stream", describe([]sse.Event{ev}), err)
				}
			})
		}
	}
}

// TestCommentsHookOnTypedStream checks that a typed stream, which never
// returns comments, still reports each to the OnComment hook as it is
// read, in order with the messages.
func TestCommentsHookOnTypedStream(t *testing.T) {
	srv, send := startSteppedServer(t, []streamPart{
		{text: ": hello\n"},
		{text: "id: 1\ndata: {\"symbol\":\"A\"}\n: inside\n\n"},
		{text: ": between\n\nid: 2\ndata: {\"symbol\":\"B\"}\n\n: ping\n"},
		{text: "event: end\ndata: {}\n\n"},
	})
	var mu sync.Mutex
	var log []string
	add := func(s string) {
		mu.Lock()
		defer mu.Unlock()
		log = append(log, s)
	}
	expectLog := func(want string) {
		t.Helper()
		// The hook runs in the goroutine that reads the stream, inside
		// Recv: a comment after the last event of a part is seen by the
		// next Recv.
		mu.Lock()
		defer mu.Unlock()
		if got := strings.Join(log, " "); got != want {
			t.Fatalf("log %q, want %q", got, want)
		}
	}
	hooks := sseclient.Hooks{OnComment: func(_, comment string) { add(":" + comment) }}
	c := newClient(t, srv.URL, nil, sseclient.WithHooks(hooks))
	s, err := sseclient.Subscribe[*demov1.Tick](testContext(t), c, "/")
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	send <- struct{}{}
	send <- struct{}{}
	tick, err := s.Recv()
	if err != nil {
		t.Fatal(err)
	}
	add(tick.GetSymbol())
	expectLog(":hello :inside A")
	send <- struct{}{}
	if tick, err = s.Recv(); err != nil {
		t.Fatal(err)
	}
	add(tick.GetSymbol())
	expectLog(":hello :inside A :between B")
	send <- struct{}{}
	if _, err := s.Recv(); err != io.EOF {
		t.Fatalf("Recv = %v, want io.EOF", err)
	}
	expectLog(":hello :inside A :between B :ping")
}
