package bench

import (
	"math"
	"sync/atomic"
	"time"
)

// Latency histograms.
//
// T5 delivers about a hundred thousand events a second to its clients;
// keeping every latency would take the client processes' memory and the
// replies' size. A histogram with buckets 2% wide, from 1 µs to 100 s,
// keeps them all at that precision, and its counts add up across
// processes.
const (
	histBase    = 1.02
	histMin     = time.Microsecond
	histBuckets = 932 // log(1e8) / log(1.02), up to 100 s
)

// histogram counts latencies; its methods are safe for concurrent use.
type histogram struct {
	counts [histBuckets]atomic.Uint64
}

// bucket returns the bucket of d.
func bucket(d time.Duration) int {
	if d < histMin {
		return 0
	}
	i := int(math.Log(float64(d)/float64(histMin))/math.Log(histBase)) + 1
	return min(i, histBuckets-1)
}

// bucketUpper returns the upper bound of bucket i.
func bucketUpper(i int) time.Duration {
	return time.Duration(float64(histMin) * math.Pow(histBase, float64(i)))
}

func (h *histogram) record(d time.Duration) { h.counts[bucket(d)].Add(1) }

// snapshot returns the counts and resets them.
func (h *histogram) snapshot() []uint64 {
	out := make([]uint64, histBuckets)
	for i := range h.counts {
		out[i] = h.counts[i].Swap(0)
	}
	return out
}

// histPercentile returns the p-quantile of counts, as the upper bound of
// its bucket, and the number of samples.
func histPercentile(counts []uint64, p float64) (time.Duration, uint64) {
	var total uint64
	for _, c := range counts {
		total += c
	}
	if total == 0 {
		return 0, 0
	}
	rank := uint64(math.Ceil(p * float64(total)))
	var seen uint64
	for i, c := range counts {
		if seen += c; seen >= max(rank, 1) {
			return bucketUpper(i), total
		}
	}
	return bucketUpper(len(counts) - 1), total
}
