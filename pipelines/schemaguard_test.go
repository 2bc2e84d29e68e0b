package pipelines_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/leadpipe/leadpipe/pipelines"
	"github.com/leadpipe/leadpipe/pipelines/state"
	"github.com/leadpipe/leadpipe/sinks"
)

// A rename added to a pipeline that already wrote its tables is refused
// before anything is written, with the message, and nothing moves: for the
// Parquet lake and for Iceberg. validate says the same.
func TestARenameIsRefusedBeforeAnythingIsWritten(t *testing.T) {
	for _, format := range []string{"parquet", "iceberg"} {
		t.Run(format, func(t *testing.T) {
			e := newLumiEnv(t, 20)
			plan := e.plan(format)
			if _, err := e.run(plan, pipelines.Options{}); err != nil {
				t.Fatal(err)
			}
			path := filepath.Join(e.dir, "lumi.yaml")
			yaml := strings.Replace(fmt.Sprintf(lumiPipeline, format), "sink:", "transforms:\n  - rename:\n      leads: {amount_requested: requested}\nsink:", 1)
			if err := os.WriteFile(path, []byte(yaml), 0o644); err != nil {
				t.Fatal(err)
			}
			renamed, err := pipelines.Load(t.Context(), path, e.env)
			if err != nil {
				t.Fatal(err)
			}
			_, verr := pipelines.CheckSinkSchema(context.Background(), renamed, e.store.Path())
			var sce *sinks.SchemaChangeError
			if !errors.As(verr, &sce) || !strings.Contains(verr.Error(), "column amount_requested would be renamed to requested") {
				t.Errorf("validate's check: %v", verr)
			}
			before := dataFiles(t, e.lake)
			cursors, _ := e.store.Cursors(context.Background(), "lumi-test")
			e.Advance(time.Hour)
			sum, err := e.run(renamed, pipelines.Options{FullRefresh: true})
			if !errors.As(err, &sce) || !strings.Contains(err.Error(), "column amount_requested would be renamed to requested") ||
				!strings.Contains(err.Error(), "table leads") || !strings.Contains(err.Error(), "Options: (1)") {
				t.Fatalf("want the refusal, got %v", err)
			}
			if sum == nil || sum.TotalRows() != 0 || sum.Status != state.RunFailed {
				t.Errorf("the refused run: %+v", sum)
			}
			if got := dataFiles(t, e.lake); strings.Join(got, "\n") != strings.Join(before, "\n") {
				t.Errorf("the refused run wrote files")
			}
			if after, _ := e.store.Cursors(context.Background(), "lumi-test"); fmt.Sprint(after) != fmt.Sprint(cursors) {
				t.Errorf("cursors moved: %v → %v", cursors, after)
			}
			// Without the rename the pipeline runs on.
			if _, err := e.run(plan, pipelines.Options{}); err != nil {
				t.Errorf("the original pipeline after the refusal: %v", err)
			}
		})
	}
}
