package bench

import (
	"os/exec"
	"testing"
	"time"
)

// TestCPUAccountCountsChildren checks that the bench's CPU time includes
// a child process's, while it runs and once it has ended.
func TestCPUAccountCountsChildren(t *testing.T) {
	before, err := readCPUAccount()
	if err != nil {
		t.Fatal(err)
	}
	// A shell loop of a bounded number of steps: a fraction of a second
	// of CPU time.
	cmd := exec.Command("sh", "-c", "i=0; while [ $i -lt 400000 ]; do i=$((i+1)); done")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	// While it runs: once it has used 100 ms, the account has them.
	var during cpuAccount
	var childCPU time.Duration
	for deadline := time.Now().Add(30 * time.Second); childCPU < 100*time.Millisecond && time.Now().Before(deadline); {
		time.Sleep(20 * time.Millisecond)
		if childCPU, _, err = processStats(cmd.Process.Pid); err != nil {
			t.Fatalf("the child ended before it used 100 ms of CPU: %v", err)
		}
		if during, err = readCPUAccount(); err != nil {
			t.Fatal(err)
		}
	}
	if childCPU < 100*time.Millisecond {
		t.Fatalf("the child used %v of CPU in 30 s", childCPU)
	}
	if got := during.ours - before.ours; got < childCPU {
		t.Errorf("while the child runs, the bench's CPU grew by %v; the child alone used %v", got, childCPU)
	}
	if err := cmd.Wait(); err != nil {
		t.Fatal(err)
	}
	after, err := readCPUAccount()
	if err != nil {
		t.Fatal(err)
	}
	total := cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime()
	if got := after.ours - before.ours; got < total {
		t.Errorf("after the child ended, the bench's CPU grew by %v; the child used %v", got, total)
	}
	if got := after.busy - before.busy; got < total-50*time.Millisecond {
		t.Errorf("the machine was busy for %v, less than the child's %v", got, total)
	}
}
