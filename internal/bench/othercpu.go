package bench

import (
	"bytes"
	"fmt"
	"strconv"
	"time"
)

// cpuAccount is a snapshot of how long the machine's CPUs have been busy,
// and of how much of that was the bench's: this process and every process
// it started, running or ended. The difference over a scenario is the
// other work the machine did meanwhile.
type cpuAccount struct {
	busy time.Duration // user, nice, system and steal time of all CPUs
	ours time.Duration
	at   time.Time
}

// otherCPUs returns the CPUs that other work kept busy on average between
// two snapshots (steal time included: another guest of the host ran).
func otherCPUs(before, after cpuAccount) float64 {
	wall := after.at.Sub(before.at)
	if wall <= 0 {
		return 0
	}
	other := (after.busy - before.busy) - (after.ours - before.ours)
	return max(float64(other)/float64(wall), 0)
}

// clockTick is the unit of the times in /proc/stat and /proc/PID/stat
// (USER_HZ, 100 a second on Linux).
const clockTick = 10 * time.Millisecond

// parseProcStat returns the busy time of all CPUs from /proc/stat: user,
// nice, system and steal. Interrupt time is left out: on loopback most of
// it is the bench's own traffic, which no process is charged with.
func parseProcStat(b []byte) (time.Duration, error) {
	for line := range bytes.Lines(b) {
		f := bytes.Fields(line)
		if len(f) < 9 || string(f[0]) != "cpu" {
			continue
		}
		var busy int64
		for _, i := range []int{1, 2, 3, 8} { // user nice system … steal
			n, err := strconv.ParseInt(string(f[i]), 10, 64)
			if err != nil {
				return 0, fmt.Errorf("/proc/stat: %w", err)
			}
			busy += n
		}
		return time.Duration(busy) * clockTick, nil
	}
	return 0, fmt.Errorf("/proc/stat has no cpu line")
}

// parsePIDStat returns the parent's process id and the CPU time (user and
// system) of a /proc/PID/stat file.
func parsePIDStat(b []byte) (ppid int, cpu time.Duration, err error) {
	// The fields after the command name, which is in parentheses and may
	// hold spaces: the state, the parent's id, …, utime and stime (the
	// 12th and 13th).
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return 0, 0, fmt.Errorf("stat %q: no command name", b)
	}
	f := bytes.Fields(b[i+1:])
	if len(f) < 13 {
		return 0, 0, fmt.Errorf("stat: %d fields", len(f))
	}
	ppid, err = strconv.Atoi(string(f[1]))
	if err != nil {
		return 0, 0, err
	}
	utime, err1 := strconv.ParseInt(string(f[11]), 10, 64)
	stime, err2 := strconv.ParseInt(string(f[12]), 10, 64)
	if err1 != nil || err2 != nil {
		return 0, 0, fmt.Errorf("stat: utime %q, stime %q", f[11], f[12])
	}
	return ppid, time.Duration(utime+stime) * clockTick, nil
}
