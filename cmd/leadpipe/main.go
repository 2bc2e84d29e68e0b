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
	"path/filepath"
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
	// exitRowsLeft: a push ran to its end, but rows were rejected, failed
	// (refused by the vendor, or with an unknown outcome) or need a human.
	exitRowsLeft = 6
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

// stateLocation applies the state rule (config.StateFor) to a pipeline file,
// or, for a command that takes none (f == nil), to the working directory.
func (g *globals) stateLocation(f *config.File) (config.StateLocation, error) {
	loc, err := config.StateFor(g.statePath, f, ".", config.OSEnv)
	if err != nil {
		return loc, withCode(exitInvalid, err)
	}
	return loc, nil
}

// openState opens the state store of a command that writes to it (a run),
// creating it the first time.
func (g *globals) openState(f *config.File) (*state.Store, error) {
	loc, err := g.stateLocation(f)
	if err != nil {
		return nil, err
	}
	st, err := state.Open(loc.Path)
	if err != nil {
		return nil, err
	}
	g.warnState(st)
	return st, nil
}

// warnState prints what opening the store changed (a state file made
// private).
func (g *globals) warnState(st *state.Store) {
	for _, w := range st.Warnings() {
		fmt.Fprintln(g.stderr, "warning: "+w)
	}
}

// openExistingState opens the state store of a command that only reads it
// (or edits rows that must already be there). It never creates one: a
// missing store is an error that says where it looked and why there.
func (g *globals) openExistingState(f *config.File) (*state.Store, error) {
	loc, err := g.stateLocation(f)
	if err != nil {
		return nil, err
	}
	s, err := state.OpenExisting(loc.Path)
	if errors.Is(err, state.ErrNoStore) {
		msg := fmt.Sprintf("%v (chosen by %s).\nRun the command in the project's directory (where %s or the pipeline files are), or name the store with --state PATH",
			err, loc.Why, config.ProjectFileName)
		if _, serr := os.Stat(filepath.Join("leadpipe-demo", demoMarker)); serr == nil && f == nil && g.statePath == "" {
			msg += ".\nThe demo's state is in leadpipe-demo: cd leadpipe-demo"
		}
		return nil, withCode(exitInvalid, errors.New(msg))
	}
	if err != nil {
		return nil, err
	}
	g.warnState(s)
	return s, nil
}

// knownPipeline fails when the store has never heard of a pipeline, so a
// misspelt name is not mistaken for one with nothing to show.
func knownPipeline(ctx context.Context, store *state.Store, name string) error {
	if name == "" {
		return nil
	}
	ok, err := store.KnownPipeline(ctx, name)
	if err != nil || ok {
		return err
	}
	names, err := store.Pipelines(ctx)
	if err != nil {
		return err
	}
	known := "it knows none yet"
	if len(names) > 0 {
		known = "it knows " + strings.Join(names, ", ")
	}
	return withCode(exitInvalid, fmt.Errorf("pipeline %q is unknown to the state store %s (%s)", name, store.Path(), known))
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
	root.PersistentFlags().StringVar(&g.statePath, "state", "", "state database (default: the pipeline's state:, $LEADPIPE_STATE, else the project's: see \"Where the state lives\" in the README)")
	root.SetOut(g.stdout)
	root.SetErr(g.stderr)
	root.AddCommand(newRunCmd(g), newValidateCmd(g), newDemoCmd(g), newSandboxCmd(g), newConnectorsCmd(g),
		newStateCmd(g), newRunsCmd(g), newScheduleCmd(g))
	root.AddCommand(newReconcileCmd(g), newLedgerCmd(g), newIuteCmd(g), newViewsCmd(g), newSchemaCmd(g), newInitCmd(g))
	markUsageErrors(root)
	return root
}

// usageError is a mistake in the command line (an unknown command or flag,
// a bad flag value, the wrong number of arguments): exit status 2, with a
// pointer to the command's help. Cobra's own errors are untyped, so they are
// typed where cobra lets us see them: the flag error hook, and each
// command's argument check.
type usageError struct {
	cmd *cobra.Command
	err error
}

func (e *usageError) Error() string { return e.err.Error() }
func (e *usageError) Unwrap() error { return e.err }

// markUsageErrors makes every command-line mistake a usageError.
func markUsageErrors(root *cobra.Command) {
	root.SetFlagErrorFunc(func(c *cobra.Command, err error) error { return &usageError{c, err} })
	var walk func(c *cobra.Command)
	walk = func(c *cobra.Command) {
		switch {
		case c.Args != nil:
			check := c.Args
			c.Args = func(cmd *cobra.Command, args []string) error {
				if err := check(cmd, args); err != nil {
					return &usageError{cmd, err}
				}
				return nil
			}
		case c.HasSubCommands() && !c.Runnable():
			// A group (leadpipe, leadpipe state): an argument is an
			// unknown command; none shows the help.
			c.Args = func(cmd *cobra.Command, args []string) error {
				if len(args) == 0 {
					return nil
				}
				msg := fmt.Sprintf("unknown command %q for %q", args[0], cmd.CommandPath())
				if cmd.SuggestionsMinimumDistance <= 0 {
					cmd.SuggestionsMinimumDistance = 2
				}
				if s := cmd.SuggestionsFor(args[0]); len(s) > 0 {
					msg += " (did you mean " + strings.Join(s, " or ") + "?)"
				}
				return &usageError{cmd, errors.New(msg)}
			}
			c.RunE = func(cmd *cobra.Command, args []string) error { return cmd.Help() }
		}
		for _, sub := range c.Commands() {
			walk(sub)
		}
	}
	walk(root)
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
	var ue *usageError
	switch {
	case errors.As(err, &ue):
		fmt.Fprintf(stderr, "error: %v\nRun '%s --help' for usage.\n", err, ue.cmd.CommandPath())
		return exitInvalid
	case errors.As(err, &probs):
		fmt.Fprintln(stderr, probs.Error())
		return exitInvalid
	case errors.As(err, &ee):
		fmt.Fprintln(stderr, "error: "+ee.err.Error())
		return ee.code
	case errors.Is(err, state.ErrLocked):
		fmt.Fprintln(stderr, "error: "+err.Error())
		return exitLocked
	}
	fmt.Fprintln(stderr, "error: "+err.Error())
	return exitFailed
}
