package bench

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"
)

// ErrBusy is the error, wrapped, of Run when the machine is too busy for
// the ratios of a run to mean anything: its load average is above the
// limit of Config.MaxLoad, and Config.Force is not set.
var ErrBusy = errors.New("the machine is too busy to measure")

// LoadAvg is the system's load average over 1, 5 and 15 minutes, from
// /proc/loadavg: the number of processes running or waiting to run.
type LoadAvg struct {
	One     float64 `json:"one"`
	Five    float64 `json:"five"`
	Fifteen float64 `json:"fifteen"`
}

func (l LoadAvg) String() string { return fmt.Sprintf("%.2f %.2f %.2f", l.One, l.Five, l.Fifteen) }

// LoadCheck is what the run saw of the machine's load.
type LoadCheck struct {
	// Limit is the highest 1-minute load average at which a scenario
	// starts: Config.MaxLoad times the CPUs. Zero when the load average
	// cannot be read (not Linux).
	Limit float64 `json:"limit"`
	// Start is the load average before the run started its processes.
	Start LoadAvg `json:"start"`
	// Scenarios has the load average before and after each scenario.
	Scenarios []ScenarioLoad `json:"scenarios,omitempty"`
	// Forced says that some scenario started above the limit, because
	// Config.Force was set: its ratios may mean little.
	Forced bool `json:"forced,omitempty"`
}

// ScenarioLoad is the load average around one scenario. The one after
// includes the bench's own processes.
type ScenarioLoad struct {
	Scenario string  `json:"scenario"`
	Before   LoadAvg `json:"before"`
	After    LoadAvg `json:"after"`
	// OtherCPUs is how many CPUs other work than the bench's kept busy
	// on average during the scenario: the busy time of all CPUs (steal
	// time included) less the CPU time of the bench's processes, over the
	// scenario's time. Nil where it cannot be read (not Linux).
	OtherCPUs *float64 `json:"other_cpus,omitempty"`
}

// readLoadAvg reads /proc/loadavg.
func readLoadAvg() (LoadAvg, error) {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return LoadAvg{}, err
	}
	return parseLoadAvg(string(b))
}

// parseLoadAvg parses the first three fields of /proc/loadavg.
func parseLoadAvg(s string) (LoadAvg, error) {
	f := strings.Fields(s)
	if len(f) < 3 {
		return LoadAvg{}, fmt.Errorf("/proc/loadavg: %q", s)
	}
	var v [3]float64
	for i := range v {
		x, err := strconv.ParseFloat(f[i], 64)
		if err != nil {
			return LoadAvg{}, fmt.Errorf("/proc/loadavg: %w", err)
		}
		v[i] = x
	}
	return LoadAvg{One: v[0], Five: v[1], Fifteen: v[2]}, nil
}

// loadPoll is how often the load average is read while waiting for it to
// come down; the kernel updates it every 5 s.
const loadPoll = 5 * time.Second

// checkLoad reads the load average before what (the run, or a scenario),
// and returns it. Above the limit, it waits up to settle for the load to
// come down (the bench's own processes raise it during a scenario and it
// decays over about a minute after), and then fails with ErrBusy, unless
// the configuration forces the run, which is then marked as forced.
func (b *bench) checkLoad(ctx context.Context, what string, settle time.Duration) (LoadAvg, error) {
	load, err := b.readLoad()
	if err != nil || b.report.Load.Limit == 0 {
		return load, nil // no load average here: nothing to check
	}
	limit := b.report.Load.Limit
	if load.One > limit && !b.cfg.Force && settle > 0 {
		b.progress("%s: load average %v is above %.2f; waiting up to %v for it to come down", what, load, limit, settle)
		deadline := time.Now().Add(settle)
		for load.One > limit && time.Now().Before(deadline) {
			if err := sleep(ctx, b.loadPoll); err != nil {
				return load, err
			}
			if load, err = b.readLoad(); err != nil {
				return load, err
			}
		}
	}
	if load.One <= limit {
		return load, nil
	}
	if b.cfg.Force {
		b.report.Load.Forced = true
		b.progress("%s: load average %v is above %.2f; running anyway (forced)", what, load, limit)
		return load, nil
	}
	return load, fmt.Errorf("%w: %s: the load average is %v (1, 5, 15 minutes) on %d CPUs, above the limit of %.2f (%g per CPU); "+
		"run on a quiet machine, raise -max-load, or pass -force to report anyway",
		ErrBusy, what, load, b.report.Machine.CPUs, limit, b.cfg.MaxLoad)
}
