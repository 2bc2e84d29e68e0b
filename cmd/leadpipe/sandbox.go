package main

import (
	"fmt"
	"sort"
	"strings"

	"github.com/spf13/cobra"

	"github.com/leadpipe/leadpipe/connectors/sandbox"
)

func newSandboxCmd(g *globals) *cobra.Command {
	var addr string
	var opts sandbox.Options
	cmd := &cobra.Command{
		Use:   "sandbox [VENDOR...]",
		Short: "Serve the vendor API simulators for your own pipelines",
		Long: `Serve in-process simulators of the vendor APIs (all of them, or the named
ones) on one address, each under /<vendor>/, until interrupted. They follow the
vendors' API documents: auth, paging, validation, error bodies. Point a
pipeline at them with the environment variables printed at start-up.

The credentials are fixed, public sandbox values, not secrets.`,
		Example: `  leadpipe sandbox
  leadpipe sandbox --addr 127.0.0.1:9000 --size 5000 lumi`,
		RunE: func(cmd *cobra.Command, args []string) error {
			run, err := sandbox.Start(addr, opts, args...)
			if err != nil {
				return withCode(exitInvalid, err)
			}
			defer run.Close()
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
	return cmd
}

func shellQuote(s string) string {
	if s != "" && !strings.ContainsAny(s, " '\"$`\\!*?#&;|<>(){}[]~") {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
