package config

import (
	"fmt"
	"os"
	"strings"

	"go.yaml.in/yaml/v3"
)

// LookupEnv finds an environment variable; tests and the demo pass their own.
type LookupEnv func(name string) (string, bool)

// OSEnv reads the process environment.
func OSEnv(name string) (string, bool) { return os.LookupEnv(name) }

// unsetMark is what a NoEnv lookup returns for a variable the environment
// does not set. No real value can hold it: environment values have no NUL.
const unsetMark = "\x00leadpipe: unset\x00"

// NoEnv wraps env for linting without secrets (`leadpipe validate
// --no-env`): a variable env does not set is a placeholder. ${VAR:-default}
// takes its default; ${VAR} becomes empty, and every problem found on its
// line is left out (the value is not known, so it cannot be judged). The
// variables left unchecked are listed in File.Unchecked.
func NoEnv(env LookupEnv) LookupEnv {
	if env == nil {
		env = OSEnv
	}
	return func(name string) (string, bool) {
		if v, ok := env(name); ok && v != "" {
			return v, true
		}
		return unsetMark, true
	}
}

// interpolate expands ${VAR} and ${VAR:-default} in every scalar value of
// the tree ("$$" is a literal "$"). It works on parsed values, not on the raw
// text, so a value from the environment can never change the structure of the
// file, and every line number stays right.
//
// unset is called with the line and name of every variable a NoEnv lookup
// left unset.
func interpolate(n *yaml.Node, env LookupEnv, problem func(line int, msg string), unset func(line int, name string)) {
	switch n.Kind {
	case yaml.DocumentNode, yaml.SequenceNode:
		for _, c := range n.Content {
			interpolate(c, env, problem, unset)
		}
	case yaml.MappingNode:
		for i := 1; i < len(n.Content); i += 2 {
			interpolate(n.Content[i], env, problem, unset)
		}
	case yaml.ScalarNode:
		if !strings.Contains(n.Value, "$") {
			return
		}
		out, err := expand(n.Value, env, func(name string) {
			if unset != nil {
				unset(n.Line, name)
			}
		})
		if err != nil {
			problem(n.Line, err.Error())
			return
		}
		if out != n.Value {
			n.Value = out
			// Let the decoder resolve the type of the expanded text, so
			// "page_size: ${PAGE_SIZE:-100}" decodes as an int.
			n.Tag, n.Style = "", 0
		}
	}
}

func expand(s string, env LookupEnv, unset func(name string)) (string, error) {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c != '$' || i+1 >= len(s) {
			b.WriteByte(c)
			continue
		}
		switch s[i+1] {
		case '$':
			b.WriteByte('$')
			i++
			continue
		case '{':
		default:
			b.WriteByte(c)
			continue
		}
		end := strings.IndexByte(s[i+2:], '}')
		if end < 0 {
			return "", fmt.Errorf("unterminated ${ in %q", s)
		}
		expr := s[i+2 : i+2+end]
		name, def, hasDef := strings.Cut(expr, ":-")
		if !validEnvName(name) {
			return "", fmt.Errorf("bad variable name %q in ${%s}", name, expr)
		}
		v, ok := env(name)
		if ok && v == unsetMark {
			switch {
			case hasDef:
				v, ok = "", false // as if unset: the default
			case unset != nil:
				v = "" // an empty placeholder; its line is not judged
				unset(name)
			default:
				v, ok = "", false
			}
		}
		switch {
		case ok && v != "":
			b.WriteString(v)
		case hasDef:
			b.WriteString(def)
		case ok:
			// set but empty: an empty value is what the user asked for
		default:
			return "", fmt.Errorf("environment variable %s is not set (use ${%s:-default} for an optional value)", name, name)
		}
		i += 2 + end
	}
	return b.String(), nil
}

func validEnvName(s string) bool {
	if s == "" {
		return false
	}
	for i, r := range s {
		if !(r == '_' || r >= 'A' && r <= 'Z' || r >= 'a' && r <= 'z' || i > 0 && r >= '0' && r <= '9') {
			return false
		}
	}
	return true
}
