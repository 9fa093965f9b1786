package bench

import (
	"bytes"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"
)

// WriteTable writes the report as plain-text tables.
func (r *Report) WriteTable(w io.Writer) error {
	var buf bytes.Buffer
	m := r.Machine
	fmt.Fprintf(&buf, "ssebench %s: %s/%s, %d CPUs (%s), %.1f GiB, Linux %s, %s; took %v\n",
		r.Started.UTC().Format("2006-01-02 15:04 UTC"), m.OS, m.Arch, m.CPUs, m.CPUModel, m.MemoryGiB, m.Kernel, m.Go, r.Duration.Round(time.Second))
	r.writeLoad(&buf)
	fmt.Fprintf(&buf, "One run on one machine; the numbers move by several per cent from run to run.\n")
	if r.SSEGWDescriptors != "" {
		except := ""
		if slices.ContainsFunc(r.T1, func(t Throughput) bool { return t.System == sysSSEGWCompiled }) {
			except = fmt.Sprintf(", except in %q", systemNames[sysSSEGWCompiled])
		}
		fmt.Fprintf(&buf, "ssegw's descriptors: %s (dynamic messages), as deployed%s.\n", r.SSEGWDescriptors, except)
	} else {
		fmt.Fprintf(&buf, "ssegw's descriptors: the bench proto's Go types, compiled in.\n")
	}
	tw := tabwriter.NewWriter(&buf, 0, 0, 2, ' ', tabwriter.AlignRight)
	line := func(cells ...string) { fmt.Fprintln(tw, strings.Join(cells, "\t")+"\t") }

	if len(r.T1) > 0 {
		fmt.Fprintf(&buf, "\nT1 throughput: one stream, the backend sending as fast as it can; median and range of %d runs of %v.\n", r.Config.Reps, r.Config.T1Duration)
		fmt.Fprintf(&buf, "CPU: µs per event, of all processes (client + backend + gateway) and of each; median, and the gateway's range.\n")
		fmt.Fprintf(&buf, "÷ anchor: the gateway's CPU per event ÷ the direct gRPC client's per message (same size, same run).\n")
		line("size", "system", "events/s", "range", "÷ direct", "÷ grpc-gw", "CPU", "client", "backend", "gateway", "range", "÷ anchor", "allocs")
		for _, t := range r.T1 {
			direct := find(r.T1, func(x Throughput) bool { return x.System == sysDirect && x.Size == t.Size })
			grpcgw := find(r.T1, func(x Throughput) bool { return x.System == sysGRPCGW && x.Size == t.Size })
			gw, gwRange, vs, allocs := "-", "-", "-", "-"
			if t.GatewayCPUPerMillion > 0 {
				gw, gwRange = f2(t.GatewayCPUPerMillion), spread(t.GatewayCPURuns, f2)
				if len(t.GatewayCPURuns) > 0 { // not in reports of earlier versions
					allocs = f1(t.GatewayAllocsPerEvent)
				}
				vs = ratio(t.GatewayCPUPerMillion, direct.ClientCPUPerMillion)
			}
			line(sizeName(t.Size), systemNames[t.System], thousands(t.EventsPerSec), spread(t.Runs, thousands),
				ratio(t.EventsPerSec, direct.EventsPerSec), ratio(t.EventsPerSec, grpcgw.EventsPerSec),
				f2(t.CPUPerMillion), f2(t.ClientCPUPerMillion), f2(t.BackendCPUPerMillion), gw, gwRange, vs, allocs)
		}
		tw.Flush()
	}

	if len(r.T2) > 0 {
		fmt.Fprintf(&buf, "\nT2 latency, backend send → client receive, ms: %d streams at %g messages/s each, %v measured.\n",
			r.Config.T2Streams, r.Config.T2Rate, r.Config.T2Duration)
		fmt.Fprintf(&buf, "CPU: µs per event received in the measured time; ÷ anchor: the gateway's ÷ the direct gRPC client's per message.\n")
		line("system", "p50", "p90", "p99", "p99.9", "max", "samples", "expected", "failed", "client CPU", "gateway CPU", "÷ anchor")
		for _, l := range r.T2 {
			gw, vs := "-", "-"
			if l.GatewayCPUPerEvent > 0 {
				gw, vs = f2(l.GatewayCPUPerEvent), ratio(l.GatewayCPUPerEvent, l.DirectClientCPUPerEvent)
			}
			line(systemNames[l.System], f3(l.P50), f3(l.P90), f3(l.P99), f3(l.P999), f3(l.Max),
				strconv.Itoa(l.Samples), strconv.Itoa(l.Expected), strconv.Itoa(l.Failed), f2(l.ClientCPUPerEvent), gw, vs)
		}
		tw.Flush()
	}

	if len(r.T3) > 0 {
		fmt.Fprintf(&buf, "\nT3 density: idle streams; memory of the gateway process per stream, KiB, after GC; heartbeats every %v.\n", r.Config.Heartbeat)
		fmt.Fprintf(&buf, "floor: a net/http handler that only waits on its gRPC stream. backend: the backend process's RSS per stream.\n")
		fmt.Fprintf(&buf, "Heartbeat lateness: the gap between two events of a stream less the period, ms.\n")
		line("system", "HTTP", "streams", "RSS", "heap", "stacks", "goroutines", "backend", "late p50", "late p99", "late max", ">100ms", "all beats")
		for _, d := range r.T3 {
			late := []string{"-", "-", "-", "-", "-"}
			if d.Heartbeats > 0 {
				late = []string{f1(d.LateP50), f1(d.LateP99), f1(d.LateMax), strconv.Itoa(d.Late), fmt.Sprintf("%d/%d", d.Complete, d.Streams)}
			}
			line(append([]string{systemNames[d.System], d.Protocol, strconv.Itoa(d.Streams),
				f1(d.RSSPerStream / 1024), f1(d.HeapPerStream / 1024), f1(d.StackPerStream / 1024), f1(d.GoroutinesPerStream),
				f1(d.BackendRSSPerStream / 1024)}, late...)...)
		}
		tw.Flush()
		for _, d := range r.T3 {
			if d.Note != "" {
				fmt.Fprintf(&buf, "%s over %s: %s.\n", systemNames[d.System], d.Protocol, d.Note)
			}
		}
	}

	if len(r.T4) > 0 {
		fmt.Fprintf(&buf, "\nT4 connect → first event, ms, %d streams each: on a fresh connection, and on one already open.\n", r.Config.T4Iterations)
		fmt.Fprintf(&buf, "gateway CPU: CPU time of the gateway process per stream, µs.\n")
		line("system", "fresh p50", "÷ direct", "fresh p99", "open p50", "÷ direct", "open p99", "gateway CPU")
		direct := find(r.T4, func(x Connect) bool { return x.System == sysDirect })
		for _, c := range r.T4 {
			cpu := "-"
			if c.GatewayCPU > 0 {
				cpu = strconv.FormatFloat(c.GatewayCPU, 'f', 0, 64)
			}
			line(systemNames[c.System], f3(c.ColdP50), ratio(c.ColdP50, direct.ColdP50), f3(c.ColdP99),
				f3(c.WarmP50), ratio(c.WarmP50, direct.WarmP50), f3(c.WarmP99), cpu)
		}
		tw.Flush()
	}

	if len(r.T5) > 0 {
		fmt.Fprintf(&buf, "\nT5 fan-out: %d subscribers of one feed at %g events/s, %v measured: ssegw sharing one backend call, Centrifugo v6 (uni_sse) published to through its server API.\n", r.Config.T5Subscribers, r.Config.T5Rate, r.Config.T5Duration)
		fmt.Fprintf(&buf, "RSS per subscriber, KiB (ssegw after GC); CPU of the fan-out process per delivered event, µs; send → receive latency, ms.\n")
		if a := r.T5[0]; a.Anchor != "" {
			fmt.Fprintf(&buf, "÷ anchor: CPU per event ÷ the direct gRPC client's per message in %s of this run (%.2f µs).\n", a.Anchor, a.DirectClientCPUPerEvent)
		}
		line("system", "HTTP", "subscribers", "backend calls", "RSS", "CPU/event", "÷ anchor", "p50", "p90", "p99", "p99.9", "max", "events", "expected")
		for _, f := range r.T5 {
			calls := "-"
			if f.BackendCalls >= 0 {
				calls = strconv.FormatInt(f.BackendCalls, 10)
			}
			line(systemNames[f.System], f.Protocol, strconv.Itoa(f.Subscribers), calls, f1(f.RSSPerSubscriber/1024), f2(f.CPUPerEvent),
				ratio(f.CPUPerEvent, f.DirectClientCPUPerEvent),
				f2(f.P50), f2(f.P90), f2(f.P99), f2(f.P999), f2(f.Max), strconv.FormatInt(f.Events, 10), strconv.FormatInt(f.Expected, 10))
		}
		tw.Flush()
	}

	if len(r.Targets) > 0 {
		fmt.Fprintf(&buf, "\nTargets for ssegw as deployed (descriptor set), medians:\n")
		for _, t := range r.Targets {
			met := "MISSED"
			if t.Met {
				met = "met"
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t\n", t.Scenario, t.Goal, t.Measured, met)
		}
		tw.Flush()
	}
	_, err := w.Write(buf.Bytes())
	return err
}

// writeLoad writes the load average lines of the table's header.
func (r *Report) writeLoad(buf *bytes.Buffer) {
	l := r.Load
	if l.Limit == 0 {
		fmt.Fprintf(buf, "Load average: not recorded.\n")
		return
	}
	fmt.Fprintf(buf, "Load average (1, 5, 15 min): %v at the start; a scenario starts at %.2f or less (%g per CPU).\n",
		l.Start, l.Limit, r.Config.MaxLoad)
	if len(l.Scenarios) > 0 {
		var parts []string
		for _, s := range l.Scenarios {
			parts = append(parts, fmt.Sprintf("%s %.2f → %.2f", s.Scenario, s.Before.One, s.After.One))
		}
		fmt.Fprintf(buf, "1-minute load before → after each scenario (after includes the bench's own processes): %s.\n", strings.Join(parts, ", "))
		parts = parts[:0]
		for _, s := range l.Scenarios {
			if s.OtherCPUs != nil {
				parts = append(parts, fmt.Sprintf("%s %.2f", s.Scenario, *s.OtherCPUs))
			}
		}
		if len(parts) > 0 {
			fmt.Fprintf(buf, "CPUs busy with other work than the bench's during each scenario (steal time included): %s.\n", strings.Join(parts, ", "))
		}
	}
	if l.Forced {
		fmt.Fprintf(buf, "FORCED: a scenario started with the load average above the limit; its ratios may mean little.\n")
	}
}

// spread formats the range of xs as "min–max", or "-" for fewer than two.
func spread(xs []float64, format func(float64) string) string {
	if len(xs) < 2 {
		return "-"
	}
	lo, hi := xs[0], xs[0]
	for _, x := range xs[1:] {
		lo, hi = min(lo, x), max(hi, x)
	}
	return format(lo) + "–" + format(hi)
}

// find returns the first element of xs for which ok holds, or the zero
// value.
func find[T any](xs []T, ok func(T) bool) T {
	for _, x := range xs {
		if ok(x) {
			return x
		}
	}
	var zero T
	return zero
}

func sizeName(n int) string {
	if n >= 1024 && n%1024 == 0 {
		return fmt.Sprintf("%d KiB", n/1024)
	}
	return fmt.Sprintf("%d B", n)
}

func ratio(a, b float64) string {
	if a == 0 || b == 0 {
		return "-"
	}
	return fmt.Sprintf("%.2f×", a/b)
}

func f1(x float64) string { return strconv.FormatFloat(x, 'f', 1, 64) }
func f2(x float64) string { return strconv.FormatFloat(x, 'f', 2, 64) }
func f3(x float64) string { return strconv.FormatFloat(x, 'f', 3, 64) }

// thousands formats x rounded, with commas between groups of digits.
func thousands(x float64) string {
	s := strconv.FormatInt(int64(x+0.5), 10)
	var out []byte
	for i := range len(s) {
		if i > 0 && (len(s)-i)%3 == 0 {
			out = append(out, ',')
		}
		out = append(out, s[i])
	}
	return string(out)
}
