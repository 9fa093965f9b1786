package gateway

import (
	"sync"
	"time"
)

// logEvery lets a warning that may repeat for every event through at most
// once per interval, and counts the ones it held back, so that a
// misbehaving backend cannot flood the log. The zero value allows one
// warning a minute.
type logEvery struct {
	mu   sync.Mutex
	next time.Time // when the next warning may go
	held int       // warnings held back since the last one
}

// logInterval is the least time between two warnings of one logEvery.
const logInterval = time.Minute

// allow reports whether a warning may be logged now, and how many were
// held back since the last one.
func (l *logEvery) allow(now time.Time) (ok bool, held int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if now.Before(l.next) {
		l.held++
		return false, 0
	}
	held, l.held = l.held, 0
	l.next = now.Add(logInterval)
	return true, held
}
