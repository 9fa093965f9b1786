package fanout

// entry is one published event in a stream's log.
type entry struct {
	id   string
	data []byte
	at   int64 // nanoseconds since the stream started
}

// ring is a FIFO of entries that grows, by doubling, up to the capacity
// its user allows, so that a stream with few events holds little.
type ring struct {
	buf   []entry
	first int // index in buf of the oldest entry
	n     int // entries held
}

// at returns the i-th oldest entry.
func (r *ring) at(i int) *entry {
	return &r.buf[(r.first+i)%len(r.buf)]
}

// push adds e as the newest entry, growing the buffer when it is full.
// The caller keeps n within its capacity by popping first.
func (r *ring) push(e entry) {
	if r.n == len(r.buf) {
		grown := make([]entry, max(4, 2*len(r.buf)))
		for i := range r.n {
			grown[i] = *r.at(i)
		}
		r.buf, r.first = grown, 0
	}
	r.buf[(r.first+r.n)%len(r.buf)] = e
	r.n++
}

// pop removes the oldest entry and returns the size of its data.
func (r *ring) pop() int {
	e := &r.buf[r.first]
	size := len(e.data)
	*e = entry{}
	r.first = (r.first + 1) % len(r.buf)
	r.n--
	return size
}
