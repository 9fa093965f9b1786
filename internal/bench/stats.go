package bench

import (
	"runtime"
	"runtime/debug"
	"time"
)

// Stats is a snapshot of one process's resource use.
type Stats struct {
	// User and Sys are the CPU time the process has used so far.
	User time.Duration `json:"user_ns"`
	Sys  time.Duration `json:"sys_ns"`
	// RSS is the resident set size, in bytes (0 where it cannot be read).
	RSS int64 `json:"rss"`
	// HeapInuse, StackInuse and GoSys are the Go runtime's in-use heap
	// spans, goroutine stacks, and all memory obtained from the OS.
	HeapInuse  uint64 `json:"heap_inuse"`
	StackInuse uint64 `json:"stack_inuse"`
	GoSys      uint64 `json:"go_sys"`
	Goroutines int    `json:"goroutines"`
	// Mallocs is the count of heap objects allocated so far.
	Mallocs uint64 `json:"mallocs"`
	// At is when the snapshot was taken.
	At time.Time `json:"at"`
}

// CPU returns the total CPU time.
func (s Stats) CPU() time.Duration { return s.User + s.Sys }

// readStats takes a snapshot of this process. With settle, it first
// collects garbage and returns freed memory to the operating system, so
// that RSS and heap reflect live memory only.
func readStats(settle bool) Stats {
	if settle {
		runtime.GC()
		debug.FreeOSMemory()
	}
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	user, sys := cpuTime()
	return Stats{
		User:       user,
		Sys:        sys,
		RSS:        residentSetSize(),
		HeapInuse:  ms.HeapInuse,
		StackInuse: ms.StackInuse,
		GoSys:      ms.Sys,
		Goroutines: runtime.NumGoroutine(),
		Mallocs:    ms.Mallocs,
		At:         time.Now(),
	}
}
