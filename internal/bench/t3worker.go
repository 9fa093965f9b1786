package bench

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/ssegw/ssegw/sse"
)

// t3Request asks a client process to open idle streams, to wait for their
// heartbeats, or to close them.
type t3Request struct {
	URL         string        `json:"url"`
	Kind        string        `json:"kind"` // "sse" or "ndjson"
	Streams     int           `json:"streams"`
	Sources     []string      `json:"sources,omitempty"` // local addresses to connect from, in turn
	H2          bool          `json:"h2,omitempty"`      // unencrypted HTTP/2 instead of HTTP/1.1
	Concurrency int           `json:"concurrency,omitempty"`
	Period      time.Duration `json:"period_ns,omitempty"`  // heartbeat period
	Beats       int           `json:"beats,omitempty"`      // heartbeats to wait for
	Timeout     time.Duration `json:"timeout_ns,omitempty"` // of the wait
}

// t3Reply is a client process's answer.
type t3Reply struct {
	Opened     int             `json:"opened"`
	Failed     int             `json:"failed"`
	FirstError string          `json:"first_error,omitempty"`
	Ramp       time.Duration   `json:"ramp_ns,omitempty"`
	Lateness   []time.Duration `json:"lateness_ns,omitempty"`
	Complete   int             `json:"complete"` // streams that got every heartbeat waited for
}

// t3Worker holds the idle streams of one client process.
type t3Worker struct {
	cancel  context.CancelFunc
	wg      sync.WaitGroup
	tr      *http.Transport
	streams []*t3Stream
}

// t3Stream is one idle stream and the lateness of its heartbeats.
type t3Stream struct {
	open     atomic.Bool
	mu       sync.Mutex
	lateness []time.Duration
}

func (w *t3Worker) handle(req request) reply {
	if req.T3 == nil && req.Op != "t3close" {
		return reply{Error: "no T3 arguments"}
	}
	switch req.Op {
	case "t3open":
		return reply{T3: w.open(req.T3)}
	case "t3wait":
		return reply{T3: w.wait(req.T3)}
	case "t3close":
		w.closeAll()
		return reply{T3: &t3Reply{}}
	}
	return reply{Error: fmt.Sprintf("unknown request %q", req.Op)}
}

// open opens r.Streams streams, r.Concurrency at a time, and returns once
// each has delivered its first message or failed.
func (w *t3Worker) open(r *t3Request) *t3Reply {
	w.closeAll()
	ctx, cancel := context.WithCancel(context.Background())
	w.cancel = cancel
	var next atomic.Uint64
	dial := func(ctx context.Context, network, addr string) (net.Conn, error) {
		d := net.Dialer{Timeout: 10 * time.Second, Control: bindAddressNoPort}
		if len(r.Sources) > 0 {
			src := r.Sources[next.Add(1)%uint64(len(r.Sources))]
			d.LocalAddr = &net.TCPAddr{IP: net.ParseIP(src)}
		}
		return d.DialContext(ctx, network, addr)
	}
	var protocols http.Protocols
	if r.H2 {
		protocols.SetUnencryptedHTTP2(true)
	} else {
		protocols.SetHTTP1(true)
	}
	// Over HTTP/1.1, every stream gets a connection of its own, since no
	// connection is ever idle; over HTTP/2, the transport opens another
	// connection when one carries as many streams as the server allows.
	w.tr = &http.Transport{
		DialContext:        dial,
		DisableCompression: true,
		Protocols:          &protocols,
	}
	client := &http.Client{Transport: w.tr}

	results := make(chan error, r.Streams)
	sem := make(chan struct{}, max(r.Concurrency, 1))
	start := time.Now()
	for range r.Streams {
		st := &t3Stream{}
		w.streams = append(w.streams, st)
		w.wg.Add(1)
		go func() {
			defer w.wg.Done()
			sem <- struct{}{}
			once := sync.OnceFunc(func() { <-sem })
			defer once()
			st.run(ctx, client, r, func(err error) {
				once()
				if err == nil {
					st.open.Store(true)
				}
				results <- err
			})
		}()
	}
	rep := &t3Reply{}
	for range r.Streams {
		if err := <-results; err != nil {
			if rep.Failed == 0 {
				rep.FirstError = err.Error()
			}
			rep.Failed++
		} else {
			rep.Opened++
		}
	}
	rep.Ramp = time.Since(start)
	return rep
}

// run opens the stream, reports when its first message has arrived, and
// then records the lateness of each heartbeat until ctx ends: the time
// since the previous event, less the heartbeat period.
func (st *t3Stream) run(ctx context.Context, client *http.Client, r *t3Request, opened func(error)) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, r.URL, nil)
	if err != nil {
		opened(err)
		return
	}
	resp, err := client.Do(req)
	if err != nil {
		opened(err)
		return
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		opened(fmt.Errorf("status %s", resp.Status))
		return
	}
	if r.Kind == "ndjson" {
		br := bufio.NewReader(resp.Body)
		if _, err := br.ReadSlice('\n'); err != nil {
			opened(err)
			return
		}
		opened(nil)
		_, _ = io.Copy(io.Discard, br)
		return
	}
	events := sse.NewReader(resp.Body, sse.WithCommentEvents())
	for {
		ev, err := events.Next()
		if err != nil {
			opened(err)
			return
		}
		if ev.Data != nil {
			break
		}
	}
	last := time.Now()
	opened(nil)
	for {
		ev, err := events.Next()
		if err != nil {
			return
		}
		now := time.Now()
		if ev.Data == nil && ev.Comment != "" {
			st.mu.Lock()
			st.lateness = append(st.lateness, now.Sub(last)-r.Period)
			st.mu.Unlock()
		}
		last = now
	}
}

// wait waits until every open stream has had r.Beats heartbeats, or for
// r.Timeout, and returns the lateness of those heartbeats.
func (w *t3Worker) wait(r *t3Request) *t3Reply {
	deadline := time.Now().Add(r.Timeout)
	rep := &t3Reply{}
	for {
		rep.Opened, rep.Complete = 0, 0
		for _, st := range w.streams {
			if !st.open.Load() {
				continue
			}
			rep.Opened++
			st.mu.Lock()
			if len(st.lateness) >= r.Beats {
				rep.Complete++
			}
			st.mu.Unlock()
		}
		if rep.Complete == rep.Opened || time.Now().After(deadline) {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	for _, st := range w.streams {
		st.mu.Lock()
		rep.Lateness = append(rep.Lateness, st.lateness[:min(len(st.lateness), r.Beats)]...)
		st.mu.Unlock()
	}
	return rep
}

// closeAll closes every stream and waits for their goroutines.
func (w *t3Worker) closeAll() {
	if w.cancel == nil {
		return
	}
	w.cancel()
	w.wg.Wait()
	w.tr.CloseIdleConnections()
	w.cancel, w.tr, w.streams = nil, nil, nil
}
