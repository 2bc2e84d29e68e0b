// Package config loads pipeline YAML: ${ENV} interpolation, strict decoding
// (an unknown key is an error), defaults, and validation that reports every
// problem at once, each with its file:line and YAML path.
package config

import (
	"fmt"
	"sort"
	"strings"
)

// Problem is one thing wrong with a pipeline file.
type Problem struct {
	File string
	Line int
	Path string // YAML path, e.g. "source.config.page_size"
	Msg  string
	// Warning problems are reported but do not make the file invalid.
	Warning bool
}

func (p Problem) String() string {
	var b strings.Builder
	b.WriteString(p.File)
	if p.Line > 0 {
		fmt.Fprintf(&b, ":%d", p.Line)
	}
	b.WriteString(": ")
	if p.Warning {
		b.WriteString("warning: ")
	}
	if p.Path != "" {
		b.WriteString(p.Path)
		b.WriteString(": ")
	}
	b.WriteString(p.Msg)
	return b.String()
}

// Problems is every problem found in one or more files. As an error it
// prints one problem per line.
type Problems []Problem

func (ps Problems) Error() string {
	lines := make([]string, 0, len(ps))
	for _, p := range ps {
		lines = append(lines, p.String())
	}
	return strings.Join(lines, "\n")
}

// Errors returns the problems that are not warnings.
func (ps Problems) Errors() Problems {
	var out Problems
	for _, p := range ps {
		if !p.Warning {
			out = append(out, p)
		}
	}
	return out
}

// Warnings returns the warnings.
func (ps Problems) Warnings() Problems {
	var out Problems
	for _, p := range ps {
		if p.Warning {
			out = append(out, p)
		}
	}
	return out
}

func (ps Problems) sort() {
	sort.SliceStable(ps, func(i, j int) bool {
		if ps[i].File != ps[j].File {
			return ps[i].File < ps[j].File
		}
		return ps[i].Line < ps[j].Line
	})
}

// Validator collects problems for one file. Components validate their own
// typed config through it, naming fields by YAML path; the validator finds
// the line.
type Validator struct {
	file     string
	base     string
	lines    map[string]int
	problems *Problems
	// unknown marks the lines whose value came from a variable NoEnv left
	// unset: problems on them are not recorded.
	unknown map[int]bool
}

// At returns a validator whose paths are relative to sub (e.g. a connector
// validates its own config "at" source.config).
func (v *Validator) At(sub string) *Validator {
	return &Validator{file: v.file, base: join(v.base, sub), lines: v.lines, problems: v.problems, unknown: v.unknown}
}

// Errorf records a problem at path (relative to the validator's base).
func (v *Validator) Errorf(path, format string, args ...any) {
	v.add(path, false, format, args...)
}

// Warnf records a warning at path.
func (v *Validator) Warnf(path, format string, args ...any) {
	v.add(path, true, format, args...)
}

func (v *Validator) add(path string, warn bool, format string, args ...any) {
	full := join(v.base, path)
	v.record(Problem{File: v.file, Line: v.line(full), Path: full, Msg: fmt.Sprintf(format, args...), Warning: warn})
}

// record keeps a problem, unless its line holds a value NoEnv left unknown.
func (v *Validator) record(p Problem) {
	if v.unknown[p.Line] {
		return
	}
	*v.problems = append(*v.problems, p)
}

// Unknown reports whether the value at path (relative to the base) came
// from a variable NoEnv left unset, so it cannot be judged.
func (v *Validator) Unknown(path string) bool {
	return v.unknown[v.line(join(v.base, path))]
}

// Line is the line of path (relative to the base), or of its nearest
// ancestor in the file.
func (v *Validator) Line(path string) int { return v.line(join(v.base, path)) }

// Has reports whether the YAML set path (relative to the base) explicitly.
func (v *Validator) Has(path string) bool {
	_, ok := v.lines[join(v.base, path)]
	return ok
}

// line finds the line of path, or of its nearest ancestor that is in the
// file (a missing required key is reported at its parent).
func (v *Validator) line(path string) int {
	for p := path; ; {
		if l, ok := v.lines[p]; ok {
			return l
		}
		i := strings.LastIndexAny(p, ".[")
		if i < 0 {
			return v.lines[""]
		}
		p = p[:i]
	}
}

func join(base, sub string) string {
	switch {
	case base == "":
		return sub
	case sub == "":
		return base
	case strings.HasPrefix(sub, "["):
		return base + sub
	}
	return base + "." + sub
}

// NewValidator returns an empty validator for file, for decoding a
// component's config outside a pipeline file (tests, tools).
func NewValidator(file string) (*Validator, *Problems) {
	ps := &Problems{}
	return &Validator{file: file, lines: map[string]int{}, problems: ps}, ps
}

// Mark records the line of a YAML path (relative to the base) that a
// component found itself, so problems at that path carry it.
func (v *Validator) Mark(path string, line int) {
	v.lines[join(v.base, path)] = line
}
