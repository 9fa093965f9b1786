// Command ssebench measures ssegw side by side with a direct gRPC client
// and with grpc-gateway, on one backend, in one run, and prints a table of
// the results (see BENCHMARKS.md):
//
//	go run ./cmd/ssebench
//
// T1 is throughput (one stream, the backend sending as fast as it can),
// T2 latency (many streams at a modest rate), T3 density (many idle
// streams: memory per stream and heartbeat lateness), T4 the time from
// opening a stream to its first event, T5 one feed fanned out to many
// subscribers, beside Centrifugo. ssegw reads the bench proto's
// descriptors from a descriptor set, as deployed. The run refuses to
// start, and to start a scenario, while the machine's load average is
// above -max-load per CPU, unless -force is given. Progress goes to
// standard error, the table to standard output.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"runtime/pprof"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/ssegw/ssegw/internal/bench"
)

func main() {
	bench.MaybeRunChild()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout, os.Stderr); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			os.Exit(2)
		}
		fmt.Fprintln(os.Stderr, "ssebench:", err)
		os.Exit(1)
	}
}

// run runs the command with args, writing the table (or JSON) to stdout
// and progress to stderr.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("ssebench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	quick := fs.Bool("quick", false, "a run of a few seconds per scenario, for smoke tests (noisy numbers)")
	scenarios := fs.String("scenarios", "t1,t2,t3,t4,t5", "scenarios to run, comma-separated")
	noSSEClient := fs.Bool("no-sseclient", false, "leave out ssegw consumed with sseclient")
	maxLoad := fs.Float64("max-load", bench.DefaultConfig().MaxLoad, "refuse to run when the 1-minute load average is above this many per CPU, before the run and before each scenario")
	loadSettle := fs.Duration("load-settle", 0, "how long to wait before a scenario for the load average to come down to -max-load (default 2m)")
	force := fs.Bool("force", false, "run and report even when the machine is busier than -max-load (the report says so)")
	sizes := fs.String("sizes", "", "T1 message sizes in bytes, comma-separated (default 100,4096)")
	reps := fs.Int("reps", 0, "T1 runs per system and size; the table shows their median and range (default 5)")
	t1 := fs.Duration("t1-duration", 0, "T1 measured time of each run (default 2s)")
	t2Streams := fs.Int("t2-streams", 0, "T2 concurrent streams (default 1000)")
	t2 := fs.Duration("t2-duration", 0, "T2 measured time (default 10s)")
	t3Streams := fs.Int("t3-streams", 0, "T3 idle streams (default 20000)")
	t3Protocols := fs.String("t3-http", "", "T3 HTTP versions, comma-separated: h1 (a connection per stream), h2 (default h1,h2)")
	heartbeat := fs.Duration("heartbeat", 0, "ssegw heartbeat period, for T3 (default 15s)")
	beats := fs.Int("t3-beats", -1, "T3 heartbeats to wait for on every stream (default 2)")
	t4 := fs.Int("t4-streams", 0, "T4 streams opened by each system (default 200)")
	t5Subscribers := fs.Int("t5-subscribers", 0, "T5 subscribers of the shared feed (default 10000)")
	t5 := fs.Duration("t5-duration", 0, "T5 measured time (default 30s)")
	t5Protocols := fs.String("t5-http", "", "T5 HTTP versions, comma-separated: h1, h2 (default h1,h2)")
	centrifugo := fs.String("centrifugo", "", "T5: the Centrifugo v6 binary to compare with (default: built from tools/centrifugo)")
	jsonOut := fs.String("json", "", "write the results as JSON to this file (- for standard output, instead of the table)")
	plots := fs.String("plots", "", "write SVG plots of throughput and latency into this directory")
	cpuProfile := fs.String("cpuprofile", "", "write CPU profiles to `FILE` (this process) and FILE.ROLE (the backend, the gateways)")
	memProfile := fs.String("memprofile", "", "write heap profiles to `FILE` and FILE.ROLE, and of the gateways with T3's streams open")
	fromReport := fs.String("report", "", "instead of running, print the table and write the plots of a JSON `FILE` written by -json")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected arguments %q", fs.Args())
	}

	cfg := bench.DefaultConfig()
	if *quick {
		cfg = bench.QuickConfig()
	}
	cfg.Scenarios = splitList(*scenarios)
	cfg.SSEClient = !*noSSEClient
	cfg.MaxLoad = *maxLoad
	setDuration(&cfg.LoadSettle, *loadSettle)
	cfg.Force = *force
	if *sizes != "" {
		cfg.Sizes = nil
		for _, s := range splitList(*sizes) {
			n, err := strconv.Atoi(s)
			if err != nil || n < 0 {
				return fmt.Errorf("-sizes: %q is not a size in bytes", s)
			}
			cfg.Sizes = append(cfg.Sizes, n)
		}
	}
	setInt(&cfg.Reps, *reps)
	setDuration(&cfg.T1Duration, *t1)
	setInt(&cfg.T2Streams, *t2Streams)
	setDuration(&cfg.T2Duration, *t2)
	setInt(&cfg.T3Streams, *t3Streams)
	if *t3Protocols != "" {
		cfg.T3Protocols = splitList(*t3Protocols)
	}
	setDuration(&cfg.Heartbeat, *heartbeat)
	if *beats >= 0 {
		cfg.T3Beats = *beats
	}
	setInt(&cfg.T4Iterations, *t4)
	setInt(&cfg.T5Subscribers, *t5Subscribers)
	setDuration(&cfg.T5Duration, *t5)
	if *t5Protocols != "" {
		cfg.T5Protocols = splitList(*t5Protocols)
	}
	cfg.Centrifugo = *centrifugo
	cfg.CPUProfile, cfg.MemProfile = *cpuProfile, *memProfile
	cfg.Progress = stderr

	if *fromReport != "" {
		f, err := os.Open(*fromReport)
		if err != nil {
			return err
		}
		defer f.Close()
		report, err := bench.ReadReport(f)
		if err != nil {
			return err
		}
		return output(report, *plots, "", stdout, stderr)
	}
	if *cpuProfile != "" {
		f, err := os.Create(*cpuProfile)
		if err != nil {
			return err
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
		defer pprof.StopCPUProfile()
	}
	report, err := bench.Run(ctx, cfg)
	if err != nil {
		return err
	}
	if *memProfile != "" {
		if err := writeHeapProfile(*memProfile); err != nil {
			return err
		}
	}
	return output(report, *plots, *jsonOut, stdout, stderr)
}

// output writes the plots, the JSON and the table of report.
func output(report *bench.Report, plots, jsonOut string, stdout, stderr io.Writer) error {
	if plots != "" {
		if err := os.MkdirAll(plots, 0o755); err != nil {
			return err
		}
		files, err := report.WritePlots(plots)
		if err != nil {
			return err
		}
		fmt.Fprintf(stderr, "%s  plots: %s\n", time.Now().Format("15:04:05"), strings.Join(files, ", "))
	}
	switch jsonOut {
	case "-":
		return report.WriteJSON(stdout)
	case "":
	default:
		f, err := os.Create(filepath.Clean(jsonOut))
		if err != nil {
			return err
		}
		if err := report.WriteJSON(f); err != nil {
			f.Close()
			return err
		}
		if err := f.Close(); err != nil {
			return err
		}
	}
	return report.WriteTable(stdout)
}

func writeHeapProfile(path string) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	defer f.Close()
	return pprof.Lookup("allocs").WriteTo(f, 0)
}

func splitList(s string) []string {
	var out []string
	for part := range strings.SplitSeq(s, ",") {
		if part = strings.TrimSpace(part); part != "" {
			out = append(out, strings.ToLower(part))
		}
	}
	return out
}

func setInt(dst *int, v int) {
	if v > 0 {
		*dst = v
	}
}

func setDuration(dst *time.Duration, v time.Duration) {
	if v > 0 {
		*dst = v
	}
}
