package config

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
)

// PipelineFiles expands the arguments of a command that takes pipeline
// files (validate, schedule): a file stays as it is, a directory means its
// *.yaml and *.yml files, except the project file. A directory with none is
// an error, so a typo in a CI path does not pass as "nothing to check".
func PipelineFiles(args []string) ([]string, error) {
	var out []string
	for _, a := range args {
		fi, err := os.Stat(a)
		if err != nil {
			return nil, fmt.Errorf("pipeline %s: %w", a, err)
		}
		if !fi.IsDir() {
			out = append(out, a)
			continue
		}
		var found []string
		for _, pat := range []string{"*.yaml", "*.yml"} {
			m, _ := filepath.Glob(filepath.Join(a, pat))
			for _, f := range m {
				if filepath.Base(f) != ProjectFileName { // the project file, not a pipeline
					found = append(found, f)
				}
			}
		}
		if len(found) == 0 {
			return nil, fmt.Errorf("directory %s holds no *.yaml pipeline file", a)
		}
		sort.Strings(found)
		out = append(out, found...)
	}
	return out, nil
}
