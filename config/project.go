package config

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"go.yaml.in/yaml/v3"
)

// ProjectFileName marks a leadpipe project. The directory that holds it is
// the project's root: every pipeline file in it or below it shares one state
// store (cursors, run history, push ledger), whatever directory a command is
// typed in. Exactly-once depends on it: two state stores for one push are two
// ledgers, and the second sends every row again.
const ProjectFileName = "leadpipe.yaml"

// DefaultStateFile is the state store's place inside a project's root.
const DefaultStateFile = ".leadpipe/state.db"

// Project is a project file. Every key is optional; an empty file only marks
// the root.
//
//	# leadpipe.yaml
//	state: .leadpipe/state.db   # the state store, relative to this file
//	lake: ./lake                # the lake `leadpipe reconcile` reads when given no --lake
type Project struct {
	// State is the state database, relative to the project file's
	// directory (default .leadpipe/state.db).
	State string `yaml:"state"`
	// Lake is the lake `leadpipe reconcile` reads without --lake or a
	// reconcile pipeline file: a directory (relative to the project file),
	// file:// or s3://bucket/prefix.
	Lake string `yaml:"lake"`

	// Dir is the project's root (absolute); File the project file, or ""
	// when no project file was found and Dir is where the search started.
	Dir  string `yaml:"-"`
	File string `yaml:"-"`
}

// FindProject returns the project that dir belongs to: the nearest
// leadpipe.yaml in dir or one of its parents. Without one, the project is dir
// itself, with the defaults.
func FindProject(dir string, env LookupEnv) (*Project, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, fmt.Errorf("find the leadpipe project of %s: %w", dir, err)
	}
	for d := abs; ; {
		path := filepath.Join(d, ProjectFileName)
		fi, err := os.Stat(path)
		switch {
		case err == nil && !fi.IsDir():
			return ReadProject(path, env)
		case err != nil && !errors.Is(err, fs.ErrNotExist):
			return nil, fmt.Errorf("find the leadpipe project of %s: %w", dir, err)
		}
		parent := filepath.Dir(d)
		if parent == d {
			return &Project{Dir: abs}, nil
		}
		d = parent
	}
}

// ReadProject reads a project file. ${VAR} is interpolated as in pipeline
// files, and an unknown key is a problem with its line.
func ReadProject(path string, env LookupEnv) (*Project, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read project file: %w", err)
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, err
	}
	p := &Project{Dir: filepath.Dir(abs), File: abs}
	var doc yaml.Node
	if err := yaml.NewDecoder(bytes.NewReader(data)).Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			return p, nil // an empty file marks the root
		}
		return nil, Problems{{File: path, Msg: "invalid YAML: " + err.Error()}}
	}
	root := &doc
	if root.Kind == yaml.DocumentNode && len(root.Content) == 1 {
		root = root.Content[0]
	}
	var probs Problems
	v := &Validator{file: path, lines: map[string]int{}, problems: &probs}
	if root.Kind == yaml.MappingNode {
		for i := 0; i+1 < len(root.Content); i += 2 {
			switch root.Content[i].Value {
			case "name", "source", "sink", "push", "reconcile":
				return nil, Problems{{File: path, Line: root.Content[i].Line, Msg: "this looks like a pipeline file, but " + ProjectFileName +
					" is the name of the project file (state:, lake:) that marks a project's root; rename the pipeline file"}}
			}
		}
	}
	interpolate(root, env, func(line int, msg string) {
		probs = append(probs, Problem{File: path, Line: line, Msg: msg})
	}, nil)
	v.lines[""] = root.Line
	v.Decode("", root, p)
	probs.sort()
	if len(probs.Errors()) > 0 {
		return nil, probs
	}
	return p, nil
}

// Validate checks a project file.
func (p *Project) Validate(v *Validator) {
	if strings.HasSuffix(p.State, "/") || strings.HasSuffix(p.State, string(filepath.Separator)) {
		v.Errorf("state", "names the state database file (e.g. .leadpipe/state.db), not a directory")
	}
}

// StatePath is the project's state database.
func (p *Project) StatePath() string {
	if p.State == "" {
		return filepath.Join(p.Dir, filepath.FromSlash(DefaultStateFile))
	}
	return p.resolve(p.State)
}

// LakePath is the project's lake ("" when the project file names none).
func (p *Project) LakePath() string { return p.resolve(p.Lake) }

func (p *Project) resolve(loc string) string {
	if loc == "" || filepath.IsAbs(loc) || strings.Contains(loc, "://") {
		return loc
	}
	return filepath.Join(p.Dir, loc)
}

// StateLocation is the state database a command uses, and why that one: the
// reason goes into every message about it, so a user can see which rule
// chose it.
type StateLocation struct {
	Path string
	Why  string
}

// StateFor applies the state rule. The first that is set wins:
//
//  1. flag: the --state flag;
//  2. the pipeline file's own `state:` (relative to that file);
//  3. $LEADPIPE_STATE;
//  4. the project's: `state:` in the nearest leadpipe.yaml at or above dir,
//     else .leadpipe/state.db beside that leadpipe.yaml;
//  5. without a project file: .leadpipe/state.db in dir.
//
// dir is the pipeline file's directory, or for commands that take no
// pipeline file the working directory. f may be nil.
func StateFor(flag string, f *File, dir string, env LookupEnv) (StateLocation, error) {
	if env == nil {
		env = OSEnv
	}
	switch {
	case flag != "":
		return StateLocation{Path: flag, Why: "--state"}, nil
	case f != nil && f.Pipeline != nil && f.Pipeline.State != "":
		return StateLocation{Path: f.Resolve(f.Pipeline.State), Why: "state: in " + f.Path}, nil
	}
	if v, ok := env("LEADPIPE_STATE"); ok && v != "" {
		return StateLocation{Path: v, Why: "$LEADPIPE_STATE"}, nil
	}
	if f != nil {
		dir = f.Dir
	}
	p, err := FindProject(dir, env)
	if err != nil {
		return StateLocation{}, err
	}
	if p.File != "" {
		return StateLocation{Path: p.StatePath(), Why: "the project file " + p.File}, nil
	}
	return StateLocation{Path: p.StatePath(), Why: "no " + ProjectFileName + " in " + p.Dir + " or above, so the state is in that directory"}, nil
}
