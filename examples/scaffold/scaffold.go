// Package scaffold writes a new leadpipe project from the shipped examples
// (`leadpipe init`): the project file, one pull and one push pipeline per
// chosen vendor with their sample data, the JSON Schema the pipelines'
// modelines point at, an .env.example of every variable they read and a
// .gitignore for the state and the lake.
//
// It knows no vendor: the pipelines of a vendor are the first pull and the
// first push in the demo's order whose connector it is.
package scaffold

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/leadpipe/leadpipe/config"
	"github.com/leadpipe/leadpipe/examples"
)

// SchemaFile is the JSON Schema the pipelines' modelines point at.
const SchemaFile = "pipeline.schema.json"

// Options say what to write.
type Options struct {
	// Dir is the project's root; it is created if needed. Nothing in it is
	// overwritten.
	Dir string
	// Vendors to write pipelines for; empty: every vendor with examples.
	Vendors []string
	// Schema is the pipeline JSON Schema (pipelineschema.Generate).
	Schema []byte
}

// Var is an environment variable the project's pipelines read.
type Var struct {
	Name    string
	Default string // "" when it has none
	Files   []string
}

// Project is what Write wrote.
type Project struct {
	Dir string
	// Files are the files written, relative to Dir.
	Files []string
	// Pipelines are the pipeline files, relative to Dir: each vendor's
	// pull, then its push.
	Pipelines []string
	Vars      []Var
}

// example is what scaffold reads of an example pipeline.
type example struct {
	file   string
	Name   string `yaml:"name"`
	Source struct {
		Connector string `yaml:"connector"`
		File      *struct {
			Path string `yaml:"path"`
		} `yaml:"file"`
	} `yaml:"source"`
	Sink *struct{} `yaml:"sink"`
	Push *struct {
		Connector      string `yaml:"connector"`
		AttachmentsDir string `yaml:"attachments_dir"`
	} `yaml:"push"`
}

// Choices lists, by vendor, the example pull and push pipeline init would
// write ("" when the vendor has none).
func Choices() (map[string][2]string, error) {
	out := map[string][2]string{}
	seen := map[string]bool{}
	for _, name := range examples.Demo {
		if seen[name] {
			continue
		}
		seen[name] = true
		ex, err := readExample(name)
		if err != nil {
			return nil, err
		}
		switch {
		case ex.Push != nil && ex.Push.Connector != "":
			c := out[ex.Push.Connector]
			if c[1] == "" {
				c[1] = name
			}
			out[ex.Push.Connector] = c
		case ex.Sink != nil && ex.Source.Connector != "":
			c := out[ex.Source.Connector]
			if c[0] == "" {
				c[0] = name
			}
			out[ex.Source.Connector] = c
		}
	}
	return out, nil
}

// Vendors lists the vendors init can write pipelines for.
func Vendors() []string {
	c, err := Choices()
	if err != nil {
		return nil
	}
	out := make([]string, 0, len(c))
	for v := range c {
		out = append(out, v)
	}
	sort.Strings(out)
	return out
}

func readExample(name string) (*example, error) {
	b, err := examples.Files.ReadFile(name)
	if err != nil {
		return nil, err
	}
	ex := &example{file: name}
	if err := yaml.Unmarshal(b, ex); err != nil {
		return nil, fmt.Errorf("example %s: %w", name, err)
	}
	return ex, nil
}

// Write writes the project. It checks every file it would write first and
// writes none when one is already there.
func Write(o Options) (*Project, error) {
	choices, err := Choices()
	if err != nil {
		return nil, err
	}
	vendors := o.Vendors
	if len(vendors) == 0 {
		vendors = Vendors()
	}
	files := map[string][]byte{} // relative path → content
	p := &Project{}
	for _, v := range dedupe(vendors) {
		c, ok := choices[v]
		if !ok {
			return nil, fmt.Errorf("no example pipelines for vendor %q (vendors: %s)", v, strings.Join(Vendors(), ", "))
		}
		for _, name := range c {
			if name == "" {
				continue
			}
			if err := addExample(files, name); err != nil {
				return nil, err
			}
			p.Pipelines = append(p.Pipelines, name)
		}
	}
	p.Vars = variables(files)
	files[config.ProjectFileName] = []byte(projectFile)
	files[".gitignore"] = []byte(gitignore)
	files[".env.example"] = envExample(p.Vars)
	files[SchemaFile] = o.Schema

	dir, err := filepath.Abs(o.Dir)
	if err != nil {
		return nil, err
	}
	p.Dir = dir
	for name := range files {
		p.Files = append(p.Files, name)
	}
	sort.Strings(p.Files)
	var there []string
	for _, name := range p.Files {
		if _, err := os.Lstat(filepath.Join(dir, filepath.FromSlash(name))); err == nil {
			there = append(there, name)
		} else if !errors.Is(err, fs.ErrNotExist) {
			return nil, err
		}
	}
	if len(there) > 0 {
		return nil, fmt.Errorf("%s already holds %s; init writes nothing over an existing file (choose another directory)", dir, strings.Join(there, ", "))
	}
	for _, name := range p.Files {
		target := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(target), 0o755); err != nil {
			return nil, err
		}
		if err := os.WriteFile(target, files[name], 0o644); err != nil {
			return nil, err
		}
	}
	return p, nil
}

func dedupe(in []string) []string {
	var out []string
	for _, s := range in {
		if !slices.Contains(out, s) {
			out = append(out, s)
		}
	}
	return out
}

// modeline is the first line of every example: the schema, relative to the
// example in the repository.
var modeline = regexp.MustCompile(`(?m)^# yaml-language-server: \$schema=\S+$`)

// addExample adds an example pipeline, its modeline pointing at the
// project's schema, and the files it reads (its input, its attachments).
func addExample(files map[string][]byte, name string) error {
	b, err := examples.Files.ReadFile(name)
	if err != nil {
		return err
	}
	files[name] = modeline.ReplaceAllLiteral(b, []byte("# yaml-language-server: $schema="+SchemaFile))
	ex, err := readExample(name)
	if err != nil {
		return err
	}
	if f := ex.Source.File; f != nil && f.Path != "" && !strings.Contains(f.Path, "$") {
		if err := addData(files, f.Path); err != nil {
			return fmt.Errorf("example %s: %w", name, err)
		}
	}
	if ex.Push != nil && ex.Push.AttachmentsDir != "" {
		if err := addData(files, ex.Push.AttachmentsDir); err != nil {
			return fmt.Errorf("example %s: %w", name, err)
		}
	}
	return nil
}

// addData adds a file or a directory of the examples.
func addData(files map[string][]byte, p string) error {
	p = path.Clean(p)
	return fs.WalkDir(examples.Files, p, func(q string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := examples.Files.ReadFile(q)
		files[q] = b
		return err
	})
}

var varRef = regexp.MustCompile(`\$\{([A-Za-z_][A-Za-z0-9_]*)(:-([^}]*))?\}`)

// variables lists the ${VAR}s of the pipeline files: in YAML values only,
// as the interpolation sees them (a comment that mentions one is no read).
func variables(files map[string][]byte) []Var {
	byName := map[string]*Var{}
	var names []string
	for _, name := range sortedKeys(files) {
		if !strings.HasSuffix(name, ".yaml") {
			continue
		}
		var doc yaml.Node
		if err := yaml.Unmarshal(files[name], &doc); err != nil {
			continue
		}
		var walk func(n *yaml.Node)
		walk = func(n *yaml.Node) {
			switch n.Kind {
			case yaml.DocumentNode, yaml.SequenceNode:
				for _, c := range n.Content {
					walk(c)
				}
			case yaml.MappingNode:
				for i := 1; i < len(n.Content); i += 2 {
					walk(n.Content[i])
				}
			case yaml.ScalarNode:
				for _, m := range varRef.FindAllStringSubmatch(n.Value, -1) {
					v, ok := byName[m[1]]
					if !ok {
						v = &Var{Name: m[1]}
						byName[m[1]] = v
						names = append(names, m[1])
					}
					if v.Default == "" {
						v.Default = m[3]
					}
					if !slices.Contains(v.Files, name) {
						v.Files = append(v.Files, name)
					}
				}
			}
		}
		walk(&doc)
	}
	sort.Strings(names)
	out := make([]Var, 0, len(names))
	for _, n := range names {
		out = append(out, *byName[n])
	}
	return out
}

func sortedKeys(m map[string][]byte) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func envExample(vars []Var) []byte {
	var b strings.Builder
	b.WriteString(`# The environment variables this project's pipelines read. Set them in the
# environment of leadpipe (a CI secret store, a systemd EnvironmentFile...);
# never commit the real values. ` + "`leadpipe sandbox`" + ` prints values that point
# every pipeline at the built-in vendor simulators.
`)
	for _, v := range vars {
		b.WriteString("\n# read by " + strings.Join(v.Files, ", "))
		if v.Default != "" {
			b.WriteString("; default: " + v.Default)
		}
		b.WriteString("\n" + v.Name + "=\n")
	}
	return []byte(b.String())
}

const projectFile = `# This file marks a leadpipe project: every pipeline file in this directory
# or below shares one state store, whichever directory a command is typed in.
state: ` + config.DefaultStateFile + `   # cursors, run history, push ledger (relative to this file)
lake: ./lake                # what leadpipe reconcile reads when given no --lake
`

const gitignore = `# leadpipe's state (cursors, run history, push ledger, PII salt) belongs to
# the machine that runs the pipelines, and the lake holds the data itself.
.leadpipe/
lake/
.env
`
