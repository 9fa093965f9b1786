package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"time"

	"github.com/ssegw/ssegw/gateway"
)

// settings are the command's flags.
type settings struct {
	listen          string
	backend         string
	descriptorSet   string
	services        []string
	demo            bool
	heartbeat       time.Duration
	retry           time.Duration
	incomingHeaders []string
	outgoingMD      []string
	logLevel        slog.Level
	logFormat       string
}

// errUsage marks errors in the command line; they exit with status 2.
var errUsage = errors.New("usage")

func parseFlags(args []string, stderr io.Writer) (*settings, error) {
	s := &settings{}
	fs := flag.NewFlagSet("gateway", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintf(stderr, "Usage: gateway --backend HOST:PORT [flags]\n       gateway --demo [flags]\n\nServes the server-streaming methods of a gRPC backend as Server-Sent Events routes.\n\nFlags:\n")
		fs.PrintDefaults()
	}
	fs.StringVar(&s.listen, "listen", "localhost:8080", "HTTP listen `address`")
	fs.StringVar(&s.backend, "backend", "", "gRPC backend dial `target`, e.g. localhost:9090 or dns:///svc:9090 (plaintext)")
	fs.StringVar(&s.descriptorSet, "descriptor-set", "", "read service descriptors from this FileDescriptorSet `file` (buf build -o) instead of server reflection")
	fs.Func("service", "serve only this `service` (full name; repeat or separate with commas; default: all)", listFlag(&s.services))
	fs.BoolVar(&s.demo, "demo", false, "start the demo backend in-process and serve it with a demo page at /")
	fs.DurationVar(&s.heartbeat, "heartbeat", gateway.DefaultHeartbeat, "idle `period` after which a heartbeat comment is sent (0 disables)")
	fs.DurationVar(&s.retry, "retry", gateway.DefaultRetry, "reconnection `delay` announced to clients with retry: (0 sends none)")
	fs.Func("forward-header", "request `header` forwarded to the backend as metadata (repeat or separate with commas; default: Authorization)", listFlag(&s.incomingHeaders))
	fs.Func("forward-metadata", "backend header/trailer metadata `key` passed to clients (repeat or separate with commas)", listFlag(&s.outgoingMD))
	fs.TextVar(&s.logLevel, "log-level", slog.LevelInfo, "log `level`: debug, info, warn or error")
	fs.StringVar(&s.logFormat, "log-format", "text", "log `format`: text or json")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil, err
		}
		return nil, fmt.Errorf("%w: %v", errUsage, err)
	}
	switch {
	case fs.NArg() > 0:
		return nil, fmt.Errorf("%w: unexpected argument %q", errUsage, fs.Arg(0))
	case s.demo && s.backend != "":
		return nil, fmt.Errorf("%w: --demo and --backend exclude each other", errUsage)
	case !s.demo && s.backend == "":
		return nil, fmt.Errorf("%w: --backend is required (or --demo)", errUsage)
	case s.logFormat != "text" && s.logFormat != "json":
		return nil, fmt.Errorf("%w: --log-format must be text or json, not %q", errUsage, s.logFormat)
	}
	return s, nil
}

// listFlag appends comma-separated values to *dst.
func listFlag(dst *[]string) func(string) error {
	return func(v string) error {
		for part := range strings.SplitSeq(v, ",") {
			if part = strings.TrimSpace(part); part != "" {
				*dst = append(*dst, part)
			}
		}
		return nil
	}
}

func exitCode(err error) int {
	if errors.Is(err, errUsage) {
		return 2
	}
	return 1
}
