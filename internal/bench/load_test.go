package bench

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"
)

func TestParseLoadAvg(t *testing.T) {
	got, err := parseLoadAvg("1.25 0.80 0.33 3/512 12345\n")
	if err != nil {
		t.Fatal(err)
	}
	if want := (LoadAvg{1.25, 0.80, 0.33}); got != want {
		t.Errorf("parsed %+v, want %+v", got, want)
	}
	for _, bad := range []string{"", "1.0 2.0", "x 1 2 3/4 5"} {
		if _, err := parseLoadAvg(bad); err == nil {
			t.Errorf("%q parsed", bad)
		}
	}
}

// loadBench returns a bench whose load average reads loads in turn (the
// last one from then on), with a limit of 1.
func loadBench(force bool, loads ...float64) *bench {
	b := &bench{
		cfg:      Config{MaxLoad: 0.5, Force: force},
		report:   &Report{Machine: Machine{CPUs: 2}, Load: LoadCheck{Limit: 1}},
		loadPoll: time.Millisecond,
	}
	b.cfg.Progress = &strings.Builder{}
	b.readLoad = func() (LoadAvg, error) {
		l := LoadAvg{One: loads[0], Five: loads[0], Fifteen: loads[0]}
		if len(loads) > 1 {
			loads = loads[1:]
		}
		return l, nil
	}
	return b
}

func TestCheckLoadRefusesABusyMachine(t *testing.T) {
	b := loadBench(false, 3)
	_, err := b.checkLoad(context.Background(), "before T1", 0)
	if !errors.Is(err, ErrBusy) {
		t.Fatalf("error %v, want ErrBusy", err)
	}
	for _, want := range []string{"before T1", "3.00 3.00 3.00", "2 CPUs", "1.00", "-force"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("the error %q does not say %q", err, want)
		}
	}
	if b.report.Load.Forced {
		t.Error("a refused run is marked as forced")
	}
}

func TestCheckLoadWaitsForTheLoadToComeDown(t *testing.T) {
	b := loadBench(false, 2, 1.5, 0.9)
	load, err := b.checkLoad(context.Background(), "before T2", time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	if load.One != 0.9 {
		t.Errorf("started at load %v, want 0.9", load)
	}
	b = loadBench(false, 2)
	if _, err := b.checkLoad(context.Background(), "before T2", 20*time.Millisecond); !errors.Is(err, ErrBusy) {
		t.Errorf("a load that stays up: %v, want ErrBusy", err)
	}
}

func TestCheckLoadForced(t *testing.T) {
	b := loadBench(true, 3)
	load, err := b.checkLoad(context.Background(), "before the run", time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	if load.One != 3 || !b.report.Load.Forced {
		t.Errorf("load %v, forced %v; want 3 and forced", load, b.report.Load.Forced)
	}
	var table strings.Builder
	if err := b.report.WriteTable(&table); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(table.String(), "FORCED") {
		t.Errorf("the table of a forced run does not say so:\n%s", table.String())
	}
}
