package main

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/leadpipe/leadpipe/config"
	"github.com/leadpipe/leadpipe/pipelines"
	"github.com/leadpipe/leadpipe/pipelines/schedule"
)

func newValidateCmd(g *globals) *cobra.Command {
	var noEnv bool
	cmd := &cobra.Command{
		Use:   "validate FILE|DIR...",
		Short: "Check pipeline files without running them",
		Long: `Check pipeline files: YAML syntax, unknown keys, types, environment variables,
connector and stream names, connector settings and mappings, schedule:,
timezone: and on_failure:, and that the tables a pull writes keep the columns
their lake or Iceberg catalog already has (a renamed, retyped or left-out
column would mix two layouts in one table). A push's input, when it is
there, is opened: its header must have every column the mapping and the key
name. Every problem in every file is reported at once, each as
FILE:LINE: PATH: MESSAGE, with "did you mean" for a misspelt key, field or
column. A scheduled pipeline's next three run times are shown.

A directory means its *.yaml files (not the project file), as for schedule.

--no-env lints without secrets, e.g. in CI: a variable the environment does
not set is a placeholder. ${VAR:-default} takes its default; a value that is
only ${VAR} is not judged (it is listed as unchecked), and neither is an
input or a lake on S3.

Exit status: 0 when every file is valid, 2 when any is not.`,
		Example: "  leadpipe validate examples/\n  leadpipe validate --no-env pipelines/   # in CI, without the secrets",
		Args:    cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			files, err := config.PipelineFiles(args)
			if err != nil {
				return withCode(exitInvalid, err)
			}
			env := config.OSEnv
			if noEnv {
				env = config.NoEnv(config.OSEnv)
			}
			var all config.Problems
			invalid := 0
			for _, path := range files {
				probs := validateOne(cmd, g, path, env, noEnv)
				if len(probs) > 0 {
					all = append(all, probs...)
					invalid++
				}
			}
			if invalid > 0 {
				fmt.Fprintln(g.stderr, all.Error())
				return withCode(exitInvalid, fmt.Errorf("%d of %d files are invalid", invalid, len(files)))
			}
			return nil
		},
	}
	cmd.Flags().BoolVar(&noEnv, "no-env", false, "treat unset environment variables as placeholders (lint in CI without the secrets)")
	return cmd
}

// validateOne checks one pipeline file and prints what is fine about it.
func validateOne(cmd *cobra.Command, g *globals, path string, env config.LookupEnv, noEnv bool) config.Problems {
	plan, err := pipelines.Load(cmd.Context(), path, env)
	var probs config.Problems
	switch {
	case errors.As(err, &probs):
		return probs
	case err != nil:
		return config.Problems{{File: path, Msg: err.Error()}}
	}
	for _, w := range plan.Warnings {
		fmt.Fprintln(g.stderr, w.String())
	}
	var unchecked []string
	if len(plan.File.Unchecked) > 0 {
		unchecked = append(unchecked, "unset: "+strings.Join(plan.File.Unchecked, ", "))
	}
	// The tables the pipeline writes must keep their layout.
	if noEnv && (plan.File.V.Unknown("sink.path") || remote(plan.SinkLocation)) {
		if plan.Kind() == "pull" {
			unchecked = append(unchecked, "the lake's tables")
		}
	} else if loc, err := g.stateLocation(plan.File); err == nil {
		warning, err := pipelines.CheckSinkSchema(cmd.Context(), plan, loc.Path)
		if warning != "" {
			fmt.Fprintf(g.stderr, "%s: warning: %s\n", path, warning)
		}
		if err != nil {
			plan.File.V.Errorf("sink", "%v", err)
			var out config.Problems
			for _, p := range plan.File.Problems().Errors() {
				if p.Path == "sink" {
					out = append(out, p)
				}
			}
			return out
		}
	}
	// A push's input: its header against the mapping and the key.
	if pp := plan.Push; pp != nil {
		if noEnv && (plan.File.V.Unknown("source.file.path") || remote(pp.Input)) {
			unchecked = append(unchecked, "the input")
		} else if err := pipelines.CheckInput(cmd.Context(), plan); err != nil {
			if errors.As(err, &probs) {
				return probs
			}
			return config.Problems{{File: path, Msg: err.Error()}}
		}
	}
	note := ""
	if len(unchecked) > 0 {
		note = "; not checked: " + strings.Join(unchecked, "; ")
	}
	fmt.Fprintf(g.stdout, "%s: ok (%s pipeline %q%s)\n", path, plan.Kind(), plan.Name(), note)
	describeSchedule(g, plan)
	return nil
}

// remote reports whether a location is not a local path.
func remote(location string) bool {
	return strings.Contains(location, "://") && !strings.HasPrefix(location, "file://")
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
