package bench

import (
	"os"
	"path/filepath"
	"strconv"
	"syscall"
	"time"
)

// readCPUAccount takes a snapshot of the machine's busy CPU time and of
// the bench's: this process, its ended children (which it has waited
// for, and they for theirs), and every running descendant.
func readCPUAccount() (cpuAccount, error) {
	acct := cpuAccount{at: time.Now()}
	stat, err := os.ReadFile("/proc/stat")
	if err != nil {
		return acct, err
	}
	if acct.busy, err = parseProcStat(stat); err != nil {
		return acct, err
	}
	for _, who := range []int{syscall.RUSAGE_SELF, syscall.RUSAGE_CHILDREN} {
		var ru syscall.Rusage
		if err := syscall.Getrusage(who, &ru); err != nil {
			return acct, err
		}
		acct.ours += time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
	}
	dirs, err := filepath.Glob("/proc/[0-9]*/stat")
	if err != nil {
		return acct, err
	}
	parent := map[int]int{}
	cpu := map[int]time.Duration{}
	for _, path := range dirs {
		pid, err := strconv.Atoi(filepath.Base(filepath.Dir(path)))
		if err != nil {
			continue
		}
		b, err := os.ReadFile(path)
		if err != nil {
			continue // ended meanwhile
		}
		if parent[pid], cpu[pid], err = parsePIDStat(b); err != nil {
			continue
		}
	}
	self := os.Getpid()
	for pid := range cpu {
		for p, hops := parent[pid], 0; p > 1 && hops < 64; p, hops = parent[p], hops+1 {
			if p == self {
				acct.ours += cpu[pid]
				break
			}
		}
	}
	return acct, nil
}
