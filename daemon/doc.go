// Package daemon runs pipelines the way an operator watches them:
//
//   - RunOnce is one run followed by its alert. `leadpipe run` and the
//     scheduler both call it, so a run is classified (ok, failed, rows not
//     sent, stopped, locked) and alerted on in exactly one place.
//   - Alerter decides when a webhook hears about a pipeline: on the change
//     to failing, again no more often than a repeat interval, and once more
//     when it recovers. Its state lives in the state store, so a restart or
//     a cron `leadpipe run` does not alert again.
//   - Daemon is the long-lived `leadpipe schedule` process: the job table,
//     one state store per database shared by its runs, per-pipeline health
//     (/healthz) and the Prometheus metrics (/metrics).
//
// Why a package of its own, and not pipelines/schedule or cmd/leadpipe:
// pipelines/schedule is a library of cron specs, a scheduler and a webhook
// poster that knows nothing of pipelines, and the engine (pipelines) imports
// it to check schedule: keys; the daemon drives the engine, so it sits above
// it, and inside pipelines/schedule it would be an import cycle. In
// cmd/leadpipe it could only be tested through a child process; here the
// health, metrics and alert rules are tested directly, and the CLI keeps
// only flags and printing.
package daemon
