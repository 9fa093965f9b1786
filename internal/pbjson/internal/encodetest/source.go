package encodetest

import "encoding/binary"

// Source hands out choices read from fuzz input; once the input is spent,
// every choice is zero, so that generation always ends.
type Source struct {
	data []byte
}

// NewSource reads choices from data.
func NewSource(data []byte) *Source {
	return &Source{data: data}
}

// Byte returns the next byte of input, or 0.
func (s *Source) Byte() byte {
	if len(s.data) == 0 {
		return 0
	}
	b := s.data[0]
	s.data = s.data[1:]
	return b
}

// Intn returns a choice in [0, n); n must be at most 256 for the choice
// to use all of its range.
func (s *Source) Intn(n int) int {
	if n <= 1 {
		return 0
	}
	return int(s.Byte()) % n
}

// Chance reports true once in n choices.
func (s *Source) Chance(n int) bool {
	return s.Intn(n) == 0
}

// Uint64 returns the next eight bytes of input as a number.
func (s *Source) Uint64() uint64 {
	var b [8]byte
	for i := range b {
		b[i] = s.Byte()
	}
	return binary.LittleEndian.Uint64(b[:])
}

// Bytes returns up to n bytes of input.
func (s *Source) Bytes(n int) []byte {
	n = min(n, len(s.data))
	b := s.data[:n:n]
	s.data = s.data[n:]
	return b
}

// Empty reports whether the input is spent.
func (s *Source) Empty() bool {
	return len(s.data) == 0
}
