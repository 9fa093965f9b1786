package bench

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"sync"
	"time"
)

// startTimeout bounds how long a child may take to start.
const startTimeout = 60 * time.Second

// child is a child process of the bench, running one role.
type child struct {
	role  string
	cmd   *exec.Cmd
	in    io.WriteCloser
	enc   *json.Encoder
	dec   *json.Decoder
	hello hello

	mu sync.Mutex // one request at a time
}

// startChild starts a child process running role, and waits for its hello.
// ctx ending kills the child.
func startChild(ctx context.Context, role string, args childArgs) (*child, error) {
	exe, err := os.Executable()
	if err != nil {
		return nil, err
	}
	raw, err := json.Marshal(args)
	if err != nil {
		return nil, err
	}
	cmd := exec.CommandContext(ctx, exe)
	cmd.Env = append(os.Environ(), envRole+"="+role, envArgs+"="+string(raw))
	cmd.Stderr = os.Stderr
	in, err := cmd.StdinPipe()
	if err != nil {
		return nil, err
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("starting the %s process: %w", role, err)
	}
	c := &child{role: role, cmd: cmd, in: in, enc: json.NewEncoder(in), dec: json.NewDecoder(bufio.NewReader(out))}
	got := make(chan error, 1)
	go func() { got <- c.dec.Decode(&c.hello) }()
	timer := time.NewTimer(startTimeout)
	defer timer.Stop()
	select {
	case err = <-got:
	case <-timer.C:
		err = errors.New("no answer")
	}
	if err != nil {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		return nil, fmt.Errorf("starting the %s process: %w", role, err)
	}
	return c, nil
}

// call sends req and returns the child's reply.
func (c *child) call(req request) (reply, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	var rep reply
	if err := c.enc.Encode(req); err != nil {
		return rep, fmt.Errorf("%s process: %w", c.role, err)
	}
	if err := c.dec.Decode(&rep); err != nil {
		return rep, fmt.Errorf("%s process: %w", c.role, err)
	}
	if rep.Error != "" {
		return rep, fmt.Errorf("%s process: %s", c.role, rep.Error)
	}
	return rep, nil
}

// stats returns a snapshot of the child's resource use; with settle, of
// its live memory after a garbage collection.
func (c *child) stats(settle bool) (Stats, error) {
	rep, err := c.call(request{Op: "stats", Settle: settle})
	if err != nil {
		return Stats{}, err
	}
	if rep.Stats == nil {
		return Stats{}, fmt.Errorf("%s process: no stats in reply", c.role)
	}
	return *rep.Stats, nil
}

// stop asks the child to quit and waits for it, killing it after a while.
func (c *child) stop() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	_ = c.enc.Encode(request{Op: "quit"})
	_ = c.in.Close()
	done := make(chan error, 1)
	go func() { done <- c.cmd.Wait() }()
	timer := time.NewTimer(30 * time.Second)
	defer timer.Stop()
	select {
	case err := <-done:
		return err
	case <-timer.C:
		_ = c.cmd.Process.Kill()
		return fmt.Errorf("%s process did not quit", c.role)
	}
}
