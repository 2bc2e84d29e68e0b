package main

import (
	"errors"
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/leadpipe/leadpipe/config"
	"github.com/leadpipe/leadpipe/daemon"
	"github.com/leadpipe/leadpipe/pipelines/schedule"
)

// defaultHTTPAddr is where `leadpipe schedule` serves /healthz and /metrics:
// loopback only, unless told otherwise.
const defaultHTTPAddr = "127.0.0.1:9464"

func newScheduleCmd(g *globals) *cobra.Command {
	var o daemon.Options
	var grace time.Duration
	var timezone string
	cmd := &cobra.Command{
		Use:   "schedule DIR|FILE...",
		Short: "Run every pipeline that has a schedule:, in one long-lived process",
		Long: `Run every pipeline that has a schedule: on its cron spec, until SIGTERM or
Ctrl-C. A directory means its *.yaml files; files without a schedule: are
left out.

  schedule: "0 2 * * *"          # 5 fields: minute hour day-of-month month day-of-week
  timezone: Australia/Sydney     # or CRON_TZ=Australia/Sydney in the spec; default --timezone
  on_failure: https://hooks.example.com/...   # gets a JSON summary of a failed run

@hourly, @daily, @weekly, @monthly and @every 30m work too. Each wall-clock
time fires once across daylight-saving changes. Every pipeline fires at a
stable offset of up to --jitter after its time (leadpipe validate shows the
exact times), so pipelines on one vendor do not start in the same second.

A run still going when its next time comes is skipped, and so is a pipeline
already running in another process (leadpipe run). A panic in a run is
recovered and recorded as a failed run. The pipeline file is read again for
every run; a changed schedule: needs a restart.

Alerts go to on_failure: when a pipeline starts failing (a failed run, or a
push that left rows unsent), again every --alert-repeat while it keeps
failing, and once more when it recovers.

On SIGTERM no new run starts; runs in flight finish within --grace (a push
finishes the rows in flight; a pull commits or, when the grace is over, rolls
back). Exit status 0: every run in flight finished; 5: some were stopped.

The HTTP endpoint (--http) serves /healthz and /metrics (Prometheus).
/healthz lists each pipeline's last status, last success, last error and
whether it is stale, and answers 503 when one is failing or stale (unless
--lenient-health), while stopping, or when a state store does not answer.`,
		Example: `  leadpipe schedule pipelines/
  leadpipe schedule --http 0.0.0.0:9464 --on-failure https://hooks.example.com/T0/B0/x pipelines/*.yaml`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if g.logLevel == "" {
				g.logLevel = "info" // a service: its log is the record, even on a terminal
			}
			log, err := g.logger()
			if err != nil {
				return err
			}
			if o.OnFailure != "" {
				if err := schedule.ValidateURL(o.OnFailure); err != nil {
					return withCode(exitInvalid, fmt.Errorf("--on-failure: %v", err))
				}
			}
			if timezone != "" {
				loc, err := schedule.LoadLocation(timezone)
				if err != nil {
					return withCode(exitInvalid, fmt.Errorf("--timezone: %v", err))
				}
				o.Parse.Location = loc
			}
			if o.AlertRepeat < 0 {
				return withCode(exitInvalid, errors.New("--alert-repeat: must not be negative"))
			}
			g.shutdown.Graceful(grace, log)
			o.Logger, o.Warnings, o.Env = log, g.stderr, config.OSEnv
			o.Stop, o.Signal = g.shutdown.Stopping(), g.shutdown.Signal
			o.StatePath = func(f *config.File) (string, error) {
				loc, err := g.stateLocation(f)
				return loc.Path, err
			}
			d, err := daemon.New(cmd.Context(), o, args)
			if err != nil {
				return daemonError(err)
			}
			defer d.Close()
			return daemonError(d.Run(cmd.Context()))
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.HTTPAddr, "http", defaultHTTPAddr, "address of the /healthz and /metrics endpoint (\"\" to serve none)")
	f.DurationVar(&grace, "grace", defaultGrace, "on SIGTERM/SIGINT, how long runs in flight may take to finish before they are stopped and rolled back")
	f.DurationVar(&o.Jitter, "jitter", schedule.DefaultJitter, "largest offset added to each pipeline's time (stable per pipeline; at most a tenth of its interval)")
	f.StringVar(&o.OnFailure, "on-failure", "", "webhook URL for the alerts of pipelines without their own on_failure:")
	f.DurationVar(&o.AlertRepeat, "alert-repeat", daemon.DefaultAlertRepeat, "while a pipeline keeps failing, the least time between two of its alerts (0: every failing run alerts)")
	f.BoolVar(&o.LenientHealth, "lenient-health", false, "/healthz answers 200 even when a pipeline is failing or stale (503 only while stopping or when a state store does not answer)")
	f.StringVar(&timezone, "timezone", "", "time zone of schedules that name none (default: this machine's)")
	f.BoolVar(&o.RunNow, "run-now", false, "also run every pipeline once at start-up")
	return cmd
}

// daemonError gives the daemon's errors their exit codes.
func daemonError(err error) error {
	var ce *daemon.ConfigError
	var se *daemon.StoppedError
	switch {
	case errors.As(err, &ce):
		return withCode(exitInvalid, err)
	case errors.As(err, &se):
		return withCode(exitInterrupted, err)
	}
	return err
}
