package bench

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"net"
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
)

// t5Request asks a client process to open the subscribers of a feed, to
// start counting, to report, or to close them.
type t5Request struct {
	URL         string   `json:"url"`
	Subscribers int      `json:"subscribers"`
	Sources     []string `json:"sources,omitempty"` // local addresses to connect from, in turn
	H2          bool     `json:"h2,omitempty"`
	Concurrency int      `json:"concurrency,omitempty"`
}

// t5Reply is a client process's answer.
type t5Reply struct {
	Opened     int           `json:"opened"`
	Failed     int           `json:"failed"`
	FirstError string        `json:"first_error,omitempty"`
	Ramp       time.Duration `json:"ramp_ns,omitempty"`
	Events     int64         `json:"events"`
	Ended      int64         `json:"ended"` // subscribers whose stream ended early
	Latency    []uint64      `json:"latency,omitempty"`
}

// t5Worker holds the subscribers of one client process.
type t5Worker struct {
	cancel context.CancelFunc
	wg     sync.WaitGroup
	tr     *http.Transport
	hist   histogram
	events atomic.Int64
	ended  atomic.Int64
}

func (w *t5Worker) handle(req request) reply {
	switch req.Op {
	case "t5open":
		if req.T5 == nil {
			return reply{Error: "no T5 arguments"}
		}
		return reply{T5: w.open(req.T5)}
	case "t5reset":
		w.hist.snapshot()
		w.events.Store(0)
		return reply{T5: &t5Reply{}}
	case "t5collect":
		return reply{T5: &t5Reply{Events: w.events.Load(), Ended: w.ended.Load(), Latency: w.hist.snapshot()}}
	case "t5close":
		w.closeAll()
		return reply{T5: &t5Reply{}}
	}
	return reply{Error: fmt.Sprintf("unknown request %q", req.Op)}
}

// open opens r.Subscribers streams, r.Concurrency at a time, and returns
// once each has answered 200 or failed.
func (w *t5Worker) open(r *t5Request) *t5Reply {
	w.closeAll()
	ctx, cancel := context.WithCancel(context.Background())
	w.cancel = cancel
	var next atomic.Uint64
	dial := func(ctx context.Context, network, addr string) (net.Conn, error) {
		d := net.Dialer{Timeout: 10 * time.Second, Control: bindAddressNoPort}
		if len(r.Sources) > 0 {
			d.LocalAddr = &net.TCPAddr{IP: net.ParseIP(r.Sources[next.Add(1)%uint64(len(r.Sources))])}
		}
		return d.DialContext(ctx, network, addr)
	}
	var protocols http.Protocols
	if r.H2 {
		protocols.SetUnencryptedHTTP2(true)
	} else {
		protocols.SetHTTP1(true)
	}
	w.tr = &http.Transport{DialContext: dial, DisableCompression: true, Protocols: &protocols}
	client := &http.Client{Transport: w.tr}
	results := make(chan error, r.Subscribers)
	sem := make(chan struct{}, max(r.Concurrency, 1))
	start := time.Now()
	for range r.Subscribers {
		w.wg.Go(func() {
			sem <- struct{}{}
			once := sync.OnceFunc(func() { <-sem })
			defer once()
			w.subscribe(ctx, client, r.URL, func(err error) {
				once()
				results <- err
			})
		})
	}
	rep := &t5Reply{}
	for range r.Subscribers {
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

// sentKey precedes the send time, in nanoseconds since the Unix epoch, in
// the JSON of every event of both systems.
var sentKey = []byte(`"sentUnixNano":"`)

// subscribe reads one stream: every data line that carries a send time
// counts as an event, and its latency is recorded.
func (w *t5Worker) subscribe(ctx context.Context, client *http.Client, url string, opened func(error)) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
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
	opened(nil)
	br := bufio.NewReaderSize(resp.Body, 4096)
	for {
		line, err := br.ReadSlice('\n')
		if err != nil {
			if ctx.Err() == nil {
				w.ended.Add(1)
			}
			return
		}
		now := time.Now().UnixNano()
		rest, ok := bytes.CutPrefix(line, []byte("data: "))
		if !ok {
			continue
		}
		i := bytes.Index(rest, sentKey)
		if i < 0 {
			continue
		}
		rest = rest[i+len(sentKey):]
		if j := bytes.IndexByte(rest, '"'); j > 0 {
			if sent, err := strconv.ParseInt(string(rest[:j]), 10, 64); err == nil {
				w.hist.record(time.Duration(now - sent))
				w.events.Add(1)
			}
		}
	}
}

// closeAll closes every stream and waits for their goroutines.
func (w *t5Worker) closeAll() {
	if w.cancel == nil {
		return
	}
	w.cancel()
	w.wg.Wait()
	w.tr.CloseIdleConnections()
	w.cancel, w.tr = nil, nil
	w.ended.Store(0)
}
