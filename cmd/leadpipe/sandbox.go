package main

import (
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/leadpipe/leadpipe/connectors/sandbox"
)

func newSandboxCmd(g *globals) *cobra.Command {
	var addr string
	var opts sandbox.Options
	var window time.Duration
	cmd := &cobra.Command{
		Use:   "sandbox [VENDOR...]",
		Short: "Serve the vendor API simulators for your own pipelines",
		Long: `Serve in-process simulators of the vendor APIs (all of them, or the named
ones) on one address, each under /<vendor>/, until interrupted. They follow the
vendors' API documents: auth, paging, validation, error bodies. Point a
pipeline at them with the environment variables printed at start-up.

The credentials are fixed, public sandbox values, not secrets. Lofty allows
ten calls a minute, as documented; --rate-window 1s makes that ten a second
for a quick trial.`,
		Example: `  leadpipe sandbox
  leadpipe sandbox --addr 127.0.0.1:9000 --size 5000 lumi
  leadpipe sandbox --rate-window 1s`,
		RunE: func(cmd *cobra.Command, args []string) error {
			run, err := sandbox.Start(addr, opts, args...)
			if err != nil {
				return withCode(exitInvalid, err)
			}
			defer run.Close()
			if window > 0 {
				setRateWindows(run, window)
			}
			fmt.Fprintf(g.stdout, "leadpipe sandbox serving on %s\n\n", run.URL)
			vendors := make([]string, 0, len(run.Sandboxes))
			for v := range run.Sandboxes {
				vendors = append(vendors, v)
			}
			sort.Strings(vendors)
			for _, v := range vendors {
				fmt.Fprintf(g.stdout, "# %s at %s\n", v, run.BaseURL(v))
				env := run.Sandboxes[v].Env(run.BaseURL(v))
				keys := make([]string, 0, len(env))
				for k := range env {
					keys = append(keys, k)
				}
				sort.Strings(keys)
				for _, k := range keys {
					fmt.Fprintf(g.stdout, "export %s=%s\n", k, shellQuote(env[k]))
				}
				fmt.Fprintln(g.stdout)
			}
			fmt.Fprintln(g.stdout, "Paste the exports into another shell, then e.g.: leadpipe run examples/lumi.yaml")
			fmt.Fprintln(g.stdout, "Press Ctrl-C to stop.")
			<-cmd.Context().Done()
			return nil
		},
	}
	cmd.Flags().StringVar(&addr, "addr", "127.0.0.1:8765", "address to listen on")
	cmd.Flags().IntVar(&opts.Size, "size", 0, "records per vendor dataset (0: a demo-sized default)")
	cmd.Flags().Int64Var(&opts.Seed, "seed", 1, "dataset seed: the same seed gives the same data")
	cmd.Flags().DurationVar(&window, "rate-window", 0, "shorten the vendors' rate-limit windows (Lofty: ten calls a minute) to this, for quick trials (0: as the vendors document)")
	return cmd
}

// setRateWindows sets the rate-limit window of the sandboxes that have one
// (Lofty's ten calls a minute), so a trial run does not wait minutes; the
// pacing from the vendor's headers still shows.
func setRateWindows(run *sandbox.Running, d time.Duration) {
	for _, sb := range run.Sandboxes {
		if w, ok := sb.(interface{ SetRateWindow(time.Duration) }); ok {
			w.SetRateWindow(d)
		}
	}
}

func shellQuote(s string) string {
	if s != "" && !strings.ContainsAny(s, " '\"$`\\!*?#&;|<>(){}[]~") {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
