package gateway

import (
	"errors"
	"math"
	"strconv"
	"time"
)

// parseGRPCTimeout parses the value of a Grpc-Timeout header as gRPC
// writes it: a decimal number of units, and the unit, H (hours), M
// (minutes), S (seconds), m (milliseconds), u (microseconds) or n
// (nanoseconds), as in "100m". Like grpc-gateway, it takes more than the
// eight digits gRPC writes, and caps what does not fit a time.Duration.
// Zero is a valid timeout; the caller decides what it means.
func parseGRPCTimeout(s string) (time.Duration, error) {
	if len(s) < 2 {
		return 0, errors.New("want a number and a unit, as in 100m")
	}
	var unit time.Duration
	switch s[len(s)-1] {
	case 'H':
		unit = time.Hour
	case 'M':
		unit = time.Minute
	case 'S':
		unit = time.Second
	case 'm':
		unit = time.Millisecond
	case 'u':
		unit = time.Microsecond
	case 'n':
		unit = time.Nanosecond
	default:
		return 0, errors.New("unknown unit; use H, M, S, m, u or n")
	}
	digits := s[:len(s)-1]
	for i := range len(digits) {
		if digits[i] < '0' || digits[i] > '9' {
			return 0, errors.New("the number must be decimal digits")
		}
	}
	n, err := strconv.ParseUint(digits, 10, 64)
	if err != nil {
		return 0, errors.New("the number is too large")
	}
	if n > uint64(math.MaxInt64)/uint64(unit) {
		return time.Duration(math.MaxInt64), nil
	}
	return time.Duration(n) * unit, nil
}
