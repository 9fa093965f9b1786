package pbjson

import (
	"math/rand/v2"
	"strconv"
	"testing"
)

// TestParseDigits checks the decimal digits of integers, read eight at a
// time, against strconv.ParseUint: every length up to 21, each position
// holding a byte just outside '0' to '9', and the edges of uint64.
func TestParseDigits(t *testing.T) {
	inputs := []string{
		"0", "9", "00000000", "12345678", "99999999", "100000000", "1764680000123456789",
		"9999999999999999999", "10000000000000000000", "18446744073709551615",
		"18446744073709551616", "99999999999999999999", "000000000000000000001",
	}
	r := rand.New(rand.NewPCG(3, 5))
	for n := 1; n <= 21; n++ {
		digits := make([]byte, n)
		for i := range digits {
			digits[i] = byte('0' + r.IntN(10))
		}
		inputs = append(inputs, string(digits))
		for i := range digits {
			for _, c := range []byte{'/', ':', 'a', ' ', 0x00, 0xff, '0' + 0x80} {
				bad := []byte(string(digits))
				bad[i] = c
				inputs = append(inputs, string(bad))
			}
		}
	}
	for _, in := range inputs {
		got, ok := parseDigits([]byte(in))
		want, err := strconv.ParseUint(in, 10, 64)
		if ok != (err == nil) || got != want && ok {
			t.Errorf("parseDigits(%q) = %d, %v; strconv: %d, %v", in, got, ok, want, err)
		}
	}
}
