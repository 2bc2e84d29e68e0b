package main

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/leadpipe/leadpipe/config"
	"github.com/leadpipe/leadpipe/connectors/sandbox"
	"github.com/leadpipe/leadpipe/examples"
	"github.com/leadpipe/leadpipe/pipelines"
	"github.com/leadpipe/leadpipe/pipelines/state"
	"github.com/leadpipe/leadpipe/sinks/storage"
	"github.com/leadpipe/leadpipe/sinks/views"
)

const demoMarker = ".leadpipe-demo"

// demoRates lifts the examples' rate limits for the in-process sandboxes.
var demoRates = map[string]string{
	"LUMI_RATE_LIMIT": "200", "LUMI_PUSH_RATE": "50",
	"IUTE_RATE_LIMIT": "200", "IUTE_PUSH_RATE": "50",
	"BIZCAP_RATE_LIMIT": "200", "BIZCAP_PUSH_RATE": "50",
	"LUMIRE_RATE_LIMIT": "200", "LUMIRE_PUSH_RATE": "50",
	"LOFTY_PUSH_RATE": "50",
}

func newDemoCmd(g *globals) *cobra.Command {
	var out, stateDir, format string
	var opts sandbox.Options
	cmd := &cobra.Command{
		Use:   "demo",
		Short: "Run the example pipelines against built-in vendor sandboxes (no account needed)",
		Long: `Start every vendor sandbox in-process, then run the example pipelines against
them: pulls into a Parquet lake, and bulk pushes from sample CSVs with receipts.
Needs no network and no credentials.

The output directory gets the lake (one folder per table), the run manifests
(_runs/), receipts and rejects, the pipelines that were run (pipelines/) and
the state store (.leadpipe/). Running the demo again starts it afresh.

With --out s3://bucket/prefix the lake, manifests, receipts and rejects go to
S3, and the pipelines and state store to --state-dir. The S3 settings come
from the environment: the AWS credential chain, AWS_REGION, and
AWS_ENDPOINT_URL_S3 (or AWS_ENDPOINT_URL) for an S3-compatible server.`,
		Example: "  leadpipe demo\n  leadpipe demo --out /tmp/lake --size 2000\n  leadpipe demo --out s3://my-bucket/leadpipe-demo",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if g.logLevel == "" {
				g.logLevel = "warn" // the summaries tell the story
			}
			log, err := g.logger()
			if err != nil {
				return err
			}
			if !slices.Contains(demoFormats, format) {
				return withCode(exitInvalid, fmt.Errorf("--format must be %s, got %q", strings.Join(demoFormats, " or "), format))
			}
			// With --out s3://..., the lake goes to S3 and the pipelines and
			// state stay local (demo_s3.go).
			local, lake := out, ""
			var s3out *demoS3
			if storage.Scheme(out) == "s3" {
				if s3out, err = prepareDemoS3(cmd.Context(), out); err != nil {
					return withCode(exitInvalid, err)
				}
				local, lake = stateDir, s3out.location
			}
			dir, err := prepareDemoDir(local)
			if err != nil {
				return withCode(exitInvalid, err)
			}
			if lake == "" {
				lake = dir
			}
			run, err := sandbox.Start("127.0.0.1:0", opts)
			if err != nil {
				return err
			}
			defer run.Close()
			env := run.Env()
			env["LEADPIPE_LAKE"] = lake
			env["LEADPIPE_FORMAT"] = format
			// The sandboxes answer at once; the examples' production rate
			// limits would only make the demo slow.
			for k, v := range demoRates {
				env[k] = v
			}
			// Lofty's ten calls a minute, in a window short enough for a
			// demo: the pacing from its headers still shows.
			setRateWindows(run, 100*time.Millisecond)
			lookup := func(name string) (string, bool) {
				if v, ok := env[name]; ok {
					return v, true
				}
				return os.LookupEnv(name)
			}
			// The output directory is a project: its leadpipe.yaml puts the
			// state in <dir>/.leadpipe/ for the demo and for every command
			// typed inside it afterwards (runs, ledger, reconcile).
			if err := writeDemoProject(dir, lake); err != nil {
				return err
			}
			proj, err := config.FindProject(dir, lookup)
			if err != nil {
				return err
			}
			store, err := state.Open(proj.StatePath())
			if err != nil {
				return err
			}
			defer store.Close()
			fmt.Fprintf(g.stdout, "leadpipe demo: sandboxes for %s on %s; output in %s\n\n",
				strings.Join(sandbox.Vendors(), ", "), run.URL, lake)
			if s3out != nil {
				fmt.Fprintf(g.stdout, "pipelines and state store in %s\n\n", dir)
			}
			for _, name := range examples.Demo {
				path := filepath.Join(dir, "pipelines", name)
				plan, err := pipelines.Load(cmd.Context(), path, lookup)
				if err != nil {
					return fmt.Errorf("example %s: %w", name, err)
				}
				ropts := pipelines.Options{Logger: log}
				if g.stderrIsTTY() {
					ropts.Progress = progressLine(g.stderr, plan.Name())
				}
				sum, err := pipelines.Run(cmd.Context(), plan, store, ropts)
				if ropts.Progress != nil {
					clearLine(g.stderr)
				}
				if sum != nil {
					printSummary(g.stdout, sum)
					fmt.Fprintln(g.stdout)
				}
				if err != nil {
					return withCode(exitFailed, fmt.Errorf("example %s failed: %w", name, err))
				}
			}
			// Last, the reconciliation report of the demo's own run
			// (reconcile_demo.go).
			if err := runDemoReconcile(cmd, g, dir, lake, env, lookup, store); err != nil {
				return err
			}
			if format == "iceberg" {
				if err := printIcebergQueries(cmd.Context(), g.stdout, lake, store.Path()); err != nil {
					return err
				}
			} else if err := printDemoQueries(cmd.Context(), g, dir, lake, s3out); err != nil {
				return err
			}
			fmt.Fprintf(g.stdout, `
The demo's directory is a leadpipe project (%s): inside it, the history,
the push ledger and the report read the demo's state with no flags:

  cd %s
  leadpipe runs
  leadpipe ledger --status needs_human
  leadpipe reconcile --date today
`, filepath.Join(dir, config.ProjectFileName), shellPath(dir))
			return nil
		},
	}
	cmd.Flags().StringVar(&out, "out", "./leadpipe-demo", "output directory, or s3://bucket/prefix (replaced if it holds an earlier demo)")
	cmd.Flags().StringVar(&stateDir, "state-dir", "./leadpipe-demo-state", "with an s3:// --out: the local directory for the pipelines and the state store")
	cmd.Flags().StringVar(&format, "format", "parquet", "the lake's format: parquet, or iceberg (tables with their current state, in an SQLite catalog beside the state)")
	cmd.Flags().IntVar(&opts.Size, "size", 0, "records per vendor sandbox (0: a few hundred)")
	cmd.Flags().Int64Var(&opts.Seed, "seed", 1, "sandbox dataset seed")
	return cmd
}

// prepareDemoDir empties an earlier demo's directory, refuses to touch any
// other non-empty directory, and copies the example pipelines into it.
func prepareDemoDir(out string) (string, error) {
	dir, err := filepath.Abs(out)
	if err != nil {
		return "", err
	}
	entries, err := os.ReadDir(dir)
	switch {
	case errors.Is(err, fs.ErrNotExist):
	case err != nil:
		return "", err
	case len(entries) > 0:
		if _, err := os.Stat(filepath.Join(dir, demoMarker)); err != nil {
			return "", fmt.Errorf("%s is not empty and was not made by leadpipe demo; choose another --out", dir)
		}
		if err := os.RemoveAll(dir); err != nil {
			return "", err
		}
	}
	if err := os.MkdirAll(filepath.Join(dir, "pipelines"), 0o755); err != nil {
		return "", err
	}
	if err := os.WriteFile(filepath.Join(dir, demoMarker), []byte("made by leadpipe demo; rerunning the demo replaces this directory\n"), 0o644); err != nil {
		return "", err
	}
	err = fs.WalkDir(examples.Files, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || p == "." {
			return err
		}
		target := filepath.Join(dir, "pipelines", filepath.FromSlash(p))
		if d.IsDir() {
			return os.MkdirAll(target, 0o755)
		}
		b, err := examples.Files.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(target, b, 0o644)
	})
	return dir, err
}

// printDemoQueries writes the lake's DuckDB views into the demo's
// directory (what `leadpipe views` writes) and prints queries that use
// them.
func printDemoQueries(ctx context.Context, g *globals, dir, lake string, s3out *demoS3) error {
	sto, err := storage.Open(ctx, lake, storage.Options{})
	if err != nil {
		return err
	}
	tables, err := views.Tables(ctx, sto)
	if err != nil {
		return err
	}
	file := filepath.Join(dir, "views.sql")
	if err := os.WriteFile(file, []byte(views.DuckDB(lake, tables)), 0o644); err != nil {
		return err
	}
	prefix := ""
	if s3out != nil {
		// DuckDB reads S3 through its httpfs extension.
		prefix = s3out.duckDBSecret() + "\n             "
	}
	fmt.Fprintf(g.stdout, `Query the lake with DuckDB (https://duckdb.org/docs/installation). The demo wrote
%[1]s (leadpipe views --lake %[2]s): a view per table, its changelog,
and <table>_current, its current state (the latest row per *_uid). For example:

  duckdb -c "%[3]s$(cat %[1]s)
             SELECT vendor, status, count(*) AS leads, sum(amount_requested) AS requested
             FROM leads_current GROUP BY ALL ORDER BY vendor, leads DESC"

  duckdb -c "%[3]s$(cat %[1]s)
             SELECT vendor, currency, count(*) AS loans, sum(principal) AS funded, sum(commission_amount) AS commission
             FROM loans_current WHERE status = 'funded' GROUP BY ALL"
`, shellPath(file), shellPath(lake), prefix)
	return nil
}

// writeDemoProject marks the demo's directory as a project: its state in
// .leadpipe/ beside the file, and its lake for `leadpipe reconcile`.
func writeDemoProject(dir, lake string) error {
	if !strings.Contains(lake, "://") {
		if rel, err := filepath.Rel(dir, lake); err == nil {
			lake = rel
		}
	}
	body := fmt.Sprintf(`# Made by leadpipe demo. This file marks a leadpipe project: every pipeline
# file in this directory or below shares one state store, whichever
# directory a command is typed in.
state: %s    # cursors, run history, push ledger (relative to this file)
lake: %s                  # what leadpipe reconcile reads when given no --lake
`, config.DefaultStateFile, lake)
	return os.WriteFile(filepath.Join(dir, config.ProjectFileName), []byte(body), 0o644)
}

// shellPath is dir as a person would type it: relative to the working
// directory when it is below it.
func shellPath(dir string) string {
	if wd, err := os.Getwd(); err == nil {
		if rel, err := filepath.Rel(wd, dir); err == nil && !strings.HasPrefix(rel, "..") {
			return rel
		}
	}
	return dir
}
