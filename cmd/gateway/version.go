package main

import (
	"fmt"
	"runtime/debug"
	"strings"
)

// versionString describes the binary from its build information: the
// module version, the commit and the Go version.
func versionString() string {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return "ssegw (no build information)"
	}
	version := bi.Main.Version
	if version == "" {
		version = "(devel)"
	}
	var details []string
	details = append(details, bi.GoVersion)
	settings := map[string]string{}
	for _, s := range bi.Settings {
		settings[s.Key] = s.Value
	}
	if rev := settings["vcs.revision"]; rev != "" {
		if settings["vcs.modified"] == "true" {
			rev += "+modified"
		}
		details = append(details, "commit "+rev)
	}
	if t := settings["vcs.time"]; t != "" {
		details = append(details, "built from "+t)
	}
	if p := settings["GOOS"] + "/" + settings["GOARCH"]; p != "/" {
		details = append(details, p)
	}
	return fmt.Sprintf("ssegw %s (%s)", version, strings.Join(details, ", "))
}
