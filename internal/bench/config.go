package bench

import (
	"errors"
	"fmt"
	"io"
	"slices"
	"time"
)

// Scenario names.
const (
	T1 = "t1" // throughput
	T2 = "t2" // latency
	T3 = "t3" // density
	T4 = "t4" // connect to first event
	T5 = "t5" // one feed fanned out to many subscribers
)

// Config says what to measure and for how long.
type Config struct {
	// Scenarios to run, some of T1, T2, T3, T4, T5.
	Scenarios []string `json:"scenarios"`
	// SSEClient adds ssegw consumed with sseclient to T1, T2 and T4.
	SSEClient bool `json:"sseclient"`

	// MaxLoad is the highest 1-minute load average per CPU at which the
	// run, and each scenario, starts; above it the run fails with
	// ErrBusy, after waiting up to LoadSettle before each scenario for
	// the load to come down. Force runs anyway, and says so in the
	// report.
	MaxLoad    float64       `json:"max_load_per_cpu"`
	LoadSettle time.Duration `json:"load_settle_ns"`
	Force      bool          `json:"force"`

	// T1: message sizes in bytes; repetitions of each measurement (the
	// median and the range are reported); warm-up and measured time of
	// each.
	Sizes      []int         `json:"sizes"`
	Reps       int           `json:"reps"`
	T1Warmup   time.Duration `json:"t1_warmup_ns"`
	T1Duration time.Duration `json:"t1_duration_ns"`

	// T2: concurrent streams, messages per second on each, warm-up once
	// all are open, and measured time.
	T2Streams  int           `json:"t2_streams"`
	T2Rate     float64       `json:"t2_rate"`
	T2Warmup   time.Duration `json:"t2_warmup_ns"`
	T2Duration time.Duration `json:"t2_duration_ns"`

	// T3: idle streams, ssegw's heartbeat period, the heartbeats to wait
	// for on every stream, the streams per client process, and the HTTP
	// versions to run it over ("h1": a connection per stream, "h2": many
	// streams per connection).
	T3Streams   int           `json:"t3_streams"`
	Heartbeat   time.Duration `json:"heartbeat_ns"`
	T3Beats     int           `json:"t3_beats"`
	T3PerWorker int           `json:"t3_per_worker"`
	T3Protocols []string      `json:"t3_protocols"`

	// T4: streams opened one after the other by each system, on a fresh
	// connection and on a connection in use already.
	T4Iterations int `json:"t4_iterations"`

	// T5: subscribers of one shared feed, its events per second, the
	// subscribers per client process, the HTTP versions, warm-up and
	// measured time; Centrifugo's binary (empty: built from
	// tools/centrifugo).
	T5Subscribers int           `json:"t5_subscribers"`
	T5Rate        float64       `json:"t5_rate"`
	T5PerWorker   int           `json:"t5_per_worker"`
	T5Protocols   []string      `json:"t5_protocols"`
	T5Warmup      time.Duration `json:"t5_warmup_ns"`
	T5Duration    time.Duration `json:"t5_duration_ns"`
	Centrifugo    string        `json:"-"`

	// CPUProfile and MemProfile, when set, are the prefixes of the CPU and
	// heap profiles that each child process writes, as PREFIX.ROLE.
	CPUProfile string `json:"-"`
	MemProfile string `json:"-"`

	// Progress receives a line for each step; nil discards them.
	Progress io.Writer `json:"-"`
}

// DefaultConfig is the full run, a few minutes on two cores.
func DefaultConfig() Config {
	return Config{
		Scenarios:    []string{T1, T2, T3, T4, T5},
		SSEClient:    true,
		MaxLoad:      0.5,
		LoadSettle:   2 * time.Minute,
		Sizes:        []int{100, 4096},
		Reps:         5,
		T1Warmup:     500 * time.Millisecond,
		T1Duration:   2 * time.Second,
		T2Streams:    1000,
		T2Rate:       10,
		T2Warmup:     time.Second,
		T2Duration:   10 * time.Second,
		T3Streams:    20000,
		Heartbeat:    15 * time.Second,
		T3Beats:      2,
		T3PerWorker:  5000,
		T3Protocols:  []string{"h1", "h2"},
		T4Iterations: 200,

		T5Subscribers: 10000,
		T5Rate:        10,
		T5PerWorker:   5000,
		T5Protocols:   []string{"h1", "h2"},
		T5Warmup:      5 * time.Second,
		T5Duration:    30 * time.Second,
	}
}

// QuickConfig is a run of a few seconds per scenario, for smoke tests and
// CI: the numbers it gives are noisy.
func QuickConfig() Config {
	c := DefaultConfig()
	c.Reps = 1
	c.T1Warmup = 100 * time.Millisecond
	c.T1Duration = 300 * time.Millisecond
	c.T2Streams = 50
	c.T2Warmup = 200 * time.Millisecond
	c.T2Duration = time.Second
	c.T3Streams = 200
	c.Heartbeat = time.Second
	c.T3Beats = 1
	c.T3Protocols = []string{"h1"}
	c.T4Iterations = 10
	c.T5Subscribers = 200
	c.T5Warmup = time.Second
	c.T5Duration = 3 * time.Second
	return c
}

func (c *Config) has(scenario string) bool { return slices.Contains(c.Scenarios, scenario) }

func (c *Config) validate() error {
	for _, s := range c.Scenarios {
		if !slices.Contains([]string{T1, T2, T3, T4, T5}, s) {
			return fmt.Errorf("unknown scenario %q (want t1, t2, t3, t4, t5)", s)
		}
	}
	for _, p := range c.T3Protocols {
		if p != "h1" && p != "h2" {
			return fmt.Errorf("unknown T3 protocol %q (want h1, h2)", p)
		}
	}
	for _, p := range c.T5Protocols {
		if p != "h1" && p != "h2" {
			return fmt.Errorf("unknown T5 protocol %q (want h1, h2)", p)
		}
	}
	switch {
	case len(c.Scenarios) == 0:
		return errors.New("no scenario to run")
	case c.MaxLoad <= 0:
		return errors.New("the highest load average per CPU must be above 0")
	case c.has(T1) && (len(c.Sizes) == 0 || c.Reps < 1 || c.T1Duration <= 0):
		return errors.New("T1 needs sizes, at least one repetition and a duration")
	case c.has(T2) && (c.T2Streams < 1 || c.T2Rate <= 0 || c.T2Duration <= 0):
		return errors.New("T2 needs streams, a rate and a duration")
	case c.has(T3) && (c.T3Streams < 1 || c.Heartbeat <= 0 || c.T3PerWorker < 1 || len(c.T3Protocols) == 0):
		return errors.New("T3 needs streams, a heartbeat period, streams per worker and a protocol")
	case c.has(T4) && c.T4Iterations < 2:
		return errors.New("T4 needs at least two iterations")
	case c.has(T5) && (c.T5Subscribers < 1 || c.T5Rate <= 0 || c.T5PerWorker < 1 || c.T5Duration <= 0 || len(c.T5Protocols) == 0):
		return errors.New("T5 needs subscribers, a rate, subscribers per worker, a duration and a protocol")
	}
	return nil
}
