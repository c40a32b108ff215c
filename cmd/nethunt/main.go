// Command nethunt is a network threat-hunting engine for Suricata EVE data.
// See `nethunt --help`.
package main

import (
	"fmt"
	"os"
	"runtime/pprof"

	"github.com/nethunt/nethunt/internal/cli"
)

func main() {
	// NETHUNT_CPUPROFILE=FILE writes a CPU profile of the whole command, for
	// performance work on real workloads (go tool pprof nethunt FILE).
	if p := os.Getenv("NETHUNT_CPUPROFILE"); p != "" {
		f, err := os.Create(p)
		if err == nil {
			err = pprof.StartCPUProfile(f)
		}
		if err != nil {
			fmt.Fprintln(os.Stderr, "nethunt: cpu profile:", err)
			os.Exit(1)
		}
		code := cli.Main(os.Args[1:], os.Stdin, os.Stdout, os.Stderr)
		pprof.StopCPUProfile()
		f.Close()
		os.Exit(code)
	}
	os.Exit(cli.Main(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}
