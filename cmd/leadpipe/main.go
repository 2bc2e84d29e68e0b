// Command leadpipe runs declarative pipelines that pull leads, events and
// loans from lending vendors into Parquet or CSV, and push CSV rows back to
// the vendors exactly once.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"

	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/leadpipe/leadpipe/config"
	_ "github.com/leadpipe/leadpipe/connectors/all" // every connector and sandbox
	"github.com/leadpipe/leadpipe/pipelines/state"
	_ "github.com/leadpipe/leadpipe/sinks/storage/local"
	_ "github.com/leadpipe/leadpipe/sinks/storage/s3"
)

// version is set at build time with -ldflags "-X main.version=...".
var version = "dev"

// Exit codes.
const (
	exitOK      = 0
	exitFailed  = 1 // a run failed
	exitInvalid = 2 // bad usage or an invalid pipeline file
	exitLocked  = 3 // the pipeline is already running elsewhere
)

// exitError carries an exit code through cobra.
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string { return e.err.Error() }
func (e *exitError) Unwrap() error { return e.err }

func withCode(code int, err error) error {
	if err == nil {
		return nil
	}
	return &exitError{code: code, err: err}
}

type globals struct {
	logFormat string
	logLevel  string
	statePath string
	stdout    io.Writer
	stderr    io.Writer
	shutdown  *shutdown // SIGINT/SIGTERM handling (shutdown.go)
}

func (g *globals) stderrIsTTY() bool {
	f, ok := g.stderr.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

func (g *globals) logger() (*slog.Logger, error) {
	tty := g.stderrIsTTY()
	level := slog.LevelInfo
	if tty {
		// On a terminal the progress line and the summary tell the story;
		// logs show only what needs attention unless asked for.
		level = slog.LevelWarn
	}
	if g.logLevel != "" {
		if err := level.UnmarshalText([]byte(g.logLevel)); err != nil {
			return nil, withCode(exitInvalid, fmt.Errorf("--log-level: %q is not debug, info, warn or error", g.logLevel))
		}
	}
	opts := &slog.HandlerOptions{Level: level}
	switch g.logFormat {
	case "json":
		return slog.New(slog.NewJSONHandler(g.stderr, opts)), nil
	case "text":
		return slog.New(slog.NewTextHandler(g.stderr, opts)), nil
	case "", "auto":
		if tty {
			return slog.New(slog.NewTextHandler(g.stderr, opts)), nil
		}
		return slog.New(slog.NewJSONHandler(g.stderr, opts)), nil
	}
	return nil, withCode(exitInvalid, fmt.Errorf("--log-format: %q is not auto, text or json", g.logFormat))
}

func (g *globals) openState(path string) (*state.Store, error) {
	p := g.statePath
	if p == "" {
		p = path
	}
	if p == "" {
		p = state.DefaultPath()
	}
	return state.Open(p)
}

func newRoot(g *globals) *cobra.Command {
	root := &cobra.Command{
		Use:   "leadpipe",
		Short: "Pull lending vendors' leads, events and loans into Parquet; push CSV rows back exactly once",
		Long: `leadpipe runs pipelines declared in YAML. A pull pipeline reads a vendor's API
(Lumi, Bizcap, Lofty, LumireCRM, Iute Credit), normalizes every record into one
canonical schema and writes Parquet or CSV to a local directory or S3. A push
pipeline reads a CSV of leads, applications or repayments and submits each row
to a vendor exactly once, with a receipt for every row.

Try it without any account:  leadpipe demo`,
		SilenceUsage:  true,
		SilenceErrors: true,
		Version:       version,
	}
	root.PersistentFlags().StringVar(&g.logFormat, "log-format", "auto", "log format: auto (text on a terminal, JSON otherwise), text or json")
	root.PersistentFlags().StringVar(&g.logLevel, "log-level", "", "log level: debug, info, warn or error (default: warn on a terminal, info otherwise)")
	root.PersistentFlags().StringVar(&g.statePath, "state", "", "state database (default: the pipeline's state:, $LEADPIPE_STATE or .leadpipe/state.db)")
	root.SetOut(g.stdout)
	root.SetErr(g.stderr)
	root.AddCommand(newRunCmd(g), newValidateCmd(g), newDemoCmd(g), newSandboxCmd(g), newConnectorsCmd(g),
		newStateCmd(g), newRunsCmd(g), newScheduleCmd(g))
	root.AddCommand(newReconcileCmd(g), newLedgerCmd(g), newIuteCmd(g))
	return root
}

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

func run(args []string, stdout, stderr io.Writer) int {
	ctx, sd := newShutdown(context.Background())
	defer sd.close()
	g := &globals{stdout: stdout, stderr: stderr, shutdown: sd}
	root := newRoot(g)
	root.SetArgs(args)
	err := root.ExecuteContext(ctx)
	if err == nil {
		return exitOK
	}
	var probs config.Problems
	var ee *exitError
	switch {
	case errors.As(err, &probs):
		fmt.Fprintln(stderr, probs.Error())
		return exitInvalid
	case errors.As(err, &ee):
		fmt.Fprintln(stderr, "error: "+ee.err.Error())
		return ee.code
	case errors.Is(err, state.ErrLocked):
		fmt.Fprintln(stderr, "error: "+err.Error())
		return exitLocked
	case strings.HasPrefix(err.Error(), "unknown command"), strings.HasPrefix(err.Error(), "unknown flag"),
		strings.Contains(err.Error(), "arg(s)"), strings.HasPrefix(err.Error(), "invalid argument"):
		fmt.Fprintf(stderr, "error: %v\nRun 'leadpipe --help' for usage.\n", err)
		return exitInvalid
	}
	fmt.Fprintln(stderr, "error: "+err.Error())
	return exitFailed
}
