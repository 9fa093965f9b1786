package sseclient

import (
	"context"
	"errors"
	"math/rand/v2"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// The reconnection policy is described in the package documentation.

// permanentError marks a failure that no reconnection can cure.
type permanentError struct{ err error }

func (e permanentError) Error() string { return e.err.Error() }
func (e permanentError) Unwrap() error { return e.err }

// retryable reports whether a failed connection attempt may be retried.
func retryable(err error) bool {
	if _, ok := errors.AsType[permanentError](err); ok {
		return false
	}
	if re, ok := errors.AsType[*ResponseError](err); ok {
		return retryableStatus(re.StatusCode)
	}
	return !errors.Is(err, context.Canceled) && !errors.Is(err, context.DeadlineExceeded)
}

// retryableStatus reports whether an HTTP status is worth a new attempt.
func retryableStatus(code int) bool {
	switch code {
	case http.StatusRequestTimeout, http.StatusTooManyRequests:
		return true
	case http.StatusNotImplemented, http.StatusHTTPVersionNotSupported:
		return false
	}
	return code >= 500 && code < 600
}

// backoff returns the wait before reconnection attempt number attempt
// (from 1), which follows the failure err.
func (s *EventStream) backoff(attempt int, err error) time.Duration {
	base := s.cfg.reconnectionTime
	if s.retry > 0 {
		base = s.retry
	}
	ceiling := max(s.cfg.maxDelay, base)
	d := base
	for i := 1; i < attempt && d < ceiling; i++ {
		if d > ceiling/2 {
			d = ceiling
			break
		}
		d *= 2
	}
	d = min(d, ceiling)
	if ra := retryAfter(err); ra > d {
		d = min(ra, ceiling)
	}
	if d > 0 {
		d += rand.N(d/5 + 1)
	}
	return d
}

// retryAfter returns the wait a 429 or 503 response asked for in its
// Retry-After header, or 0.
func retryAfter(err error) time.Duration {
	re, ok := errors.AsType[*ResponseError](err)
	if !ok || (re.StatusCode != http.StatusTooManyRequests && re.StatusCode != http.StatusServiceUnavailable) {
		return 0
	}
	v := strings.TrimSpace(re.Header.Get("Retry-After"))
	if v == "" {
		return 0
	}
	if secs, err := strconv.ParseInt(v, 10, 32); err == nil {
		return max(time.Duration(secs)*time.Second, 0)
	}
	if t, err := http.ParseTime(v); err == nil {
		return max(time.Until(t), 0)
	}
	return 0
}
