// Package examples ships the example pipelines. `leadpipe demo` copies them
// next to its output and runs them against the sandboxes; a test validates
// every one of them.
package examples

import "embed"

// Files holds every example pipeline and its sample data.
//
//go:embed *.yaml data
var Files embed.FS

// Demo lists the pipelines `leadpipe demo` runs, in order: pulls first, then
// pushes, then a second pull that picks up what was pushed.
var Demo = []string{
	"lumi.yaml",
	"backfill-lumi.yaml",
	"lumi.yaml", // again: the pushed leads come back in the incremental pull
	"iute-applications.yaml",
	"iute-cash-release.yaml", // one loan paid out, one not allowed yet: it waits
	"iute.yaml",
	"iute-repayments.yaml",
	"iute.yaml", // again: loan/info shows the repayments
	"bizcap.yaml",
	"backfill-bizcap.yaml",
	"bizcap.yaml", // again: the pushed leads come back
	"lumire.yaml",
	"backfill-lumire.yaml",
	"push-lumire-transactions.yaml",
	"lumire.yaml", // again: the pushed leads and transactions come back
	"lofty.yaml",
	"backfill-lofty.yaml",
	"lofty.yaml", // again: only the leads changed since the first run are read
}
