package main

import (
	"errors"
	"flag"
	"fmt"
	"io"

	"github.com/ssegw/ssegw/internal/config"
)

// command is what the command line asks for.
type command struct {
	cfg         *config.Config
	version     bool
	printConfig bool
	// printOpenAPI prints the OpenAPI description of the routes.
	printOpenAPI bool
}

// errUsage marks errors in the command line or the configuration; they
// exit with status 2.
var errUsage = errors.New("usage")

// newFlagSet returns the command's flags: --version, --print-config,
// --print-openapi, --config and one flag per configuration setting. It
// prints nothing itself: see printUsage.
func newFlagSet() (*flag.FlagSet, *config.Loader, *command) {
	cmd := &command{}
	fs := flag.NewFlagSet("gateway", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.Usage = func() {}
	fs.BoolVar(&cmd.version, "version", false, "print the version and build information, and exit")
	fs.BoolVar(&cmd.printConfig, "print-config", false, "print the effective configuration and the route table, and exit")
	fs.BoolVar(&cmd.printOpenAPI, "print-openapi", false, "print the OpenAPI 3.2 description of the routes (JSON), and exit")
	return fs, config.NewLoader(fs), cmd
}

// printUsage writes the command's help to w.
func printUsage(fs *flag.FlagSet, w io.Writer) {
	fmt.Fprintf(w, "Usage: gateway --backend HOST:PORT [flags]\n       gateway --config FILE [flags]\n       gateway --demo [flags]\n\n"+
		"Serves the server-streaming methods of gRPC backends as Server-Sent Events routes.\n"+
		"Every flag can also be set with the environment variable in brackets, or in the YAML file\n"+
		"given with --config; flags win over the environment, which wins over the file.\n\nFlags:\n")
	fs.SetOutput(w)
	fs.PrintDefaults()
	fs.SetOutput(io.Discard)
}

// parseArgs reads the command line, the environment and the config file.
// Asked for help (-h, --help), it prints it to stdout and returns
// flag.ErrHelp.
func parseArgs(args []string, lookupEnv func(string) (string, bool), stdout io.Writer) (*command, error) {
	fs, loader, cmd := newFlagSet()
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			printUsage(fs, stdout)
			return nil, err
		}
		return nil, fmt.Errorf("%w: %v (gateway --help lists the flags)", errUsage, err)
	}
	if fs.NArg() > 0 {
		return nil, fmt.Errorf("%w: unexpected argument %q", errUsage, fs.Arg(0))
	}
	if cmd.version {
		return cmd, nil
	}
	cfg, err := loader.Load(lookupEnv)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", errUsage, err)
	}
	if err := checkOptions(cfg, loader.Origin); err != nil {
		return nil, err
	}
	cmd.cfg = cfg
	return cmd, nil
}

func exitCode(err error) int {
	if errors.Is(err, errUsage) {
		return 2
	}
	return 1
}
