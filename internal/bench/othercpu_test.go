package bench

import (
	"testing"
	"time"
)

func TestParseProcStat(t *testing.T) {
	stat := []byte("cpu  100 20 30 5000 7 3 4 50 0 0\ncpu0 50 10 15 2500 3 1 2 25 0 0\nintr 1\n")
	busy, err := parseProcStat(stat)
	if err != nil {
		t.Fatal(err)
	}
	if want := 200 * clockTick; busy != want { // user, nice, system, steal
		t.Errorf("busy %v, want %v", busy, want)
	}
	if _, err := parseProcStat([]byte("intr 1\n")); err == nil {
		t.Error("no cpu line parsed")
	}
}

func TestParsePIDStat(t *testing.T) {
	stat := []byte("4242 (a (strange) name) S 17 4242 4242 0 -1 4194560 100 0 0 0 250 31 0 0 20 0 1 0 5 0 0\n")
	ppid, cpu, err := parsePIDStat(stat)
	if err != nil {
		t.Fatal(err)
	}
	if ppid != 17 || cpu != 281*clockTick {
		t.Errorf("parent %d, CPU %v; want 17, %v", ppid, cpu, 281*clockTick)
	}
	for _, bad := range []string{"4242 no name", "4242 (x) S 17 1 2"} {
		if _, _, err := parsePIDStat([]byte(bad)); err == nil {
			t.Errorf("%q parsed", bad)
		}
	}
}

func TestOtherCPUs(t *testing.T) {
	at := time.Unix(1000, 0)
	before := cpuAccount{busy: 10 * time.Second, ours: 4 * time.Second, at: at}
	after := cpuAccount{busy: 16 * time.Second, ours: 8 * time.Second, at: at.Add(4 * time.Second)}
	if got := otherCPUs(before, after); got != 0.5 {
		t.Errorf("2 s of other work in 4 s: %v CPUs, want 0.5", got)
	}
	after.ours = 11 * time.Second // ticks against nanoseconds: never below 0
	if got := otherCPUs(before, after); got != 0 {
		t.Errorf("%v CPUs, want 0", got)
	}
}
