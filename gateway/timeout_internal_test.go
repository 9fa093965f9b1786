package gateway

import (
	"math"
	"testing"
	"time"
)

func TestParseGRPCTimeout(t *testing.T) {
	for in, want := range map[string]time.Duration{
		"1H": time.Hour, "2M": 2 * time.Minute, "30S": 30 * time.Second, "100m": 100 * time.Millisecond,
		"7u": 7 * time.Microsecond, "9n": 9, "0S": 0, "00000001S": time.Second,
		"123456789S": 123456789 * time.Second, "9999999999999H": time.Duration(math.MaxInt64),
	} {
		got, err := parseGRPCTimeout(in)
		if err != nil || got != want {
			t.Errorf("parseGRPCTimeout(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	for _, in := range []string{"", "S", "1", "1s", "1h", "-1S", "+1S", "1.5S", " 1S", "0x1S", "1 S", "99999999999999999999S"} {
		if got, err := parseGRPCTimeout(in); err == nil {
			t.Errorf("parseGRPCTimeout(%q) = %v, want an error", in, got)
		}
	}
}
