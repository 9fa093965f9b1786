package bench

import (
	"testing"
	"time"
)

func TestHistogramPercentiles(t *testing.T) {
	var h histogram
	for i := 1; i <= 1000; i++ {
		h.record(time.Duration(i) * time.Millisecond)
	}
	counts := h.snapshot()
	for _, tc := range []struct {
		p    float64
		want time.Duration
	}{{0.5, 500 * time.Millisecond}, {0.99, 990 * time.Millisecond}, {1, time.Second}} {
		got, n := histPercentile(counts, tc.p)
		if n != 1000 {
			t.Fatalf("%d samples, want 1000", n)
		}
		if got < tc.want || float64(got) > float64(tc.want)*histBase*histBase {
			t.Errorf("p%g = %v, want %v within two buckets", tc.p*100, got, tc.want)
		}
	}
	if again, n := histPercentile(h.snapshot(), 0.5); n != 0 || again != 0 {
		t.Errorf("after a snapshot: %v of %d samples, want an empty histogram", again, n)
	}
}
