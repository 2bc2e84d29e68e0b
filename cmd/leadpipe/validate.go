package main

import (
	"errors"
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/leadpipe/leadpipe/config"
	"github.com/leadpipe/leadpipe/pipelines"
	"github.com/leadpipe/leadpipe/pipelines/schedule"
)

func newValidateCmd(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:   "validate FILE...",
		Short: "Check pipeline files without running them",
		Long: `Check pipeline files: YAML syntax, unknown keys, types, environment variables,
connector and stream names, connector settings and mappings, schedule:,
timezone: and on_failure:, and that the tables a pull writes keep the columns
their lake or Iceberg catalog already has (a renamed, retyped or left-out
column would mix two layouts in one table). Every problem in every file is reported at once,
each as FILE:LINE: PATH: MESSAGE. A scheduled pipeline's next three run times
are shown.

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
				// The tables the pipeline writes must keep their layout.
				if loc, err := g.stateLocation(plan.File); err == nil {
					warning, err := pipelines.CheckSinkSchema(cmd.Context(), plan, loc.Path)
					if warning != "" {
						fmt.Fprintf(g.stderr, "%s: warning: %s\n", path, warning)
					}
					if err != nil {
						plan.File.V.Errorf("sink", "%v", err)
						for _, p := range plan.File.Problems().Errors() {
							if p.Path == "sink" {
								all = append(all, p)
							}
						}
						invalid++
						continue
					}
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

// describeSchedule prints when a scheduled pipeline would run next under
// `leadpipe schedule` with its default jitter.
func describeSchedule(g *globals, plan *pipelines.Plan) {
	p := plan.Pipeline
	if p.Schedule == "" {
		return
	}
	spec, err := schedule.Parse(p.Schedule, p.Timezone, schedule.ParseOptions{})
	if err != nil {
		return // reported by Load
	}
	spec = spec.WithJitter(p.Name, schedule.DefaultJitter)
	fmt.Fprintf(g.stdout, "  schedule: %q in %s", spec.Expr, spec.Zone())
	if spec.Offset > 0 {
		fmt.Fprintf(g.stdout, ", jitter +%s", spec.Offset.Round(time.Millisecond))
	}
	fmt.Fprintln(g.stdout)
	for _, t := range spec.NextN(time.Now(), 3) {
		fmt.Fprintf(g.stdout, "    next: %s\n", t.Format("Mon 2006-01-02 15:04:05 MST (-07:00)"))
	}
}
