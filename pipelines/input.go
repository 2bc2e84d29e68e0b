package pipelines

import (
	"context"
	"errors"
	"fmt"
	"io/fs"

	"github.com/leadpipe/leadpipe/config"
	"github.com/leadpipe/leadpipe/sinks/storage"
	"github.com/leadpipe/leadpipe/sources/file"
	"github.com/leadpipe/leadpipe/transforms/mapping"
)

// CheckInput opens a push's input and checks its header against the
// mapping and the key, as a run does before it sends anything (`leadpipe
// validate`). Every problem names the setting to fix with its line: a
// missing file at source.file.path, a missing column at the field that maps
// it, a missing key column at push.key.
func CheckInput(ctx context.Context, plan *Plan) error {
	pp := plan.Push
	if pp == nil || pp.Mapping == nil || pp.Input == "" {
		return nil
	}
	opts := pp.InputOpts
	if opts.Encoding == "auto" { // settle it as a run does
		scan, err := file.ScanFile(ctx, pp.Input, opts)
		if err != nil {
			return asProblems(plan, inputError(plan, err))
		}
		opts.Encoding = scan.Encoding
	}
	in, err := file.Open(ctx, pp.Input, opts)
	if err != nil {
		return asProblems(plan, inputError(plan, err))
	}
	defer in.Close()
	if probs := headerProblems(plan, in.Header()); len(probs) > 0 {
		return probs
	}
	return nil
}

// inputError names source.file.path, with its line, when the input does
// not exist, so a wrong path says which setting to check. Other errors
// (encoding, size, quotes) already name the input and its line.
func inputError(plan *Plan, err error) error {
	if !errors.Is(err, storage.ErrNotExist) && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	pp := plan.Push
	return config.Problems{{File: plan.File.Path, Line: pp.InputLine, Path: "source.file.path",
		Msg: fmt.Sprintf("the input %s does not exist (a relative path is relative to the pipeline file)", pp.Input)}}
}

// asProblems makes any error a problem of the pipeline file.
func asProblems(plan *Plan, err error) config.Problems {
	var ps config.Problems
	if errors.As(err, &ps) {
		return ps
	}
	return config.Problems{{File: plan.File.Path, Line: plan.Push.InputLine, Path: "source.file.path", Msg: err.Error()}}
}

// headerProblems checks the input's header against the columns the mapping
// reads and the key columns.
func headerProblems(plan *Plan, header []string) config.Problems {
	pp := plan.Push
	var probs config.Problems
	probs = append(probs, pp.Mapping.HeaderProblems(plan.File.Path, header)...)
	have := map[string]bool{}
	for _, h := range header {
		have[h] = true
	}
	for _, k := range pp.KeyColumns {
		if !have[k] {
			probs = append(probs, config.Problem{File: plan.File.Path, Line: pp.KeyLine, Path: "push.key",
				Msg: fmt.Sprintf("column %q is not in the input%s", k, mapping.ColumnHint(k, header))})
		}
	}
	return probs
}
