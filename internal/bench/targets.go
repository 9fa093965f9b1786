package bench

import "fmt"

// The targets ssegw is held to, as deployed (descriptors from a
// descriptor set), on the medians of one run.
const (
	// rawTarget is the least ratio of T1's events/s with the raw SSE
	// client to direct gRPC's.
	rawTarget = 0.8
	// decodingTarget is the least ratio of T1's events/s with a decoding
	// client (sse.Reader and protojson, sseclient) to grpc-gateway's.
	decodingTarget = 3
	// allocsTarget is the most heap objects the gateway may allocate per
	// event in T1.
	allocsTarget = 2
)

// cpuTarget returns the highest ratio of the gateway's CPU per event to
// the direct gRPC client's CPU per message in T1, for the message sizes
// that have one.
func cpuTarget(size int) (float64, bool) {
	switch size {
	case 100:
		return 1.6, true
	case 4096:
		return 2, true
	}
	return 0, false
}

// densityTarget returns the most RSS an idle stream may cost the gateway
// in T3, by HTTP version, in bytes.
func densityTarget(protocol string) float64 {
	if protocol == "h2" {
		return 22 << 10
	}
	return 32 << 10
}

// checkTargets evaluates the targets of ssegw against the report.
func checkTargets(r *Report) []Target {
	var out []Target
	for _, size := range r.Config.Sizes {
		row := func(id string) (Throughput, bool) {
			t := find(r.T1, func(x Throughput) bool { return x.System == id && x.Size == size })
			return t, t.System != ""
		}
		scenario := "T1 " + sizeName(size)
		s, hasSSEGW := row(sysSSEGW)
		d, hasDirect := row(sysDirect)
		if limit, ok := cpuTarget(size); ok && hasSSEGW && s.DirectClientCPUPerMillion > 0 {
			x := s.GatewayCPUPerMillion / s.DirectClientCPUPerMillion
			out = append(out, Target{scenario, fmt.Sprintf("gateway CPU per event ≤ %g× the direct gRPC client's per message", limit),
				fmt.Sprintf("%.2f µs vs %.2f µs: %.2f×", s.GatewayCPUPerMillion, s.DirectClientCPUPerMillion, x), x <= limit})
		}
		if raw, ok := row(sysSSERaw); ok && hasDirect {
			x := raw.EventsPerSec / d.EventsPerSec
			out = append(out, Target{scenario, fmt.Sprintf("%s ≥ %g× direct gRPC events/s", systemNames[sysSSERaw], rawTarget),
				fmt.Sprintf("%.2f×", x), x >= rawTarget})
		}
		if g, ok := row(sysGRPCGW); ok {
			for _, id := range []string{sysSSEGW, sysSSEClient} {
				if c, ok := row(id); ok {
					x := c.EventsPerSec / g.EventsPerSec
					out = append(out, Target{scenario, fmt.Sprintf("%s ≥ %d× grpc-gateway events/s", systemNames[id], decodingTarget),
						fmt.Sprintf("%.2f×", x), x >= decodingTarget})
				}
			}
		}
		if hasSSEGW {
			out = append(out, Target{scenario, fmt.Sprintf("≤ %d allocations per event in the gateway", allocsTarget),
				fmt.Sprintf("%.1f", s.GatewayAllocsPerEvent), s.GatewayAllocsPerEvent <= allocsTarget})
		}
	}
	for _, d := range r.T3 {
		if d.System != sysSSEGW {
			continue
		}
		limit := densityTarget(d.Protocol)
		out = append(out, Target{"T3 " + d.Protocol, fmt.Sprintf("≤ %g KiB RSS per idle stream in the gateway", limit/1024),
			fmt.Sprintf("%.1f KiB (%d streams)", d.RSSPerStream/1024, d.Streams), d.RSSPerStream <= limit})
	}
	for _, f := range r.T5 {
		if f.System != sysSSEGW {
			continue
		}
		scenario := "T5 " + f.Protocol
		out = append(out, Target{scenario, "one backend call for every subscriber",
			fmt.Sprint(f.BackendCalls), f.BackendCalls == 1})
		limit := fanoutMemoryTarget(f.Protocol)
		out = append(out, Target{scenario, fmt.Sprintf("≤ %g KiB RSS per subscriber in the gateway", limit),
			fmt.Sprintf("%.1f KiB", f.RSSPerSubscriber/1024), f.RSSPerSubscriber <= limit*1024})
		c := find(r.T5, func(c Fanout) bool { return c.System == sysCentrifugo && c.Protocol == f.Protocol })
		if c.System == "" {
			continue
		}
		out = append(out, Target{scenario, "CPU per delivered event ≤ Centrifugo's",
			fmt.Sprintf("%.2f µs vs %.2f µs", f.CPUPerEvent, c.CPUPerEvent), f.CPUPerEvent <= c.CPUPerEvent})
		out = append(out, Target{scenario, "p99 send → receive ≤ Centrifugo's",
			fmt.Sprintf("%.0f ms vs %.0f ms", f.P99, c.P99), f.P99 <= c.P99})
	}
	return out
}
