// Package reconcile builds the nightly reconciliation report operations
// staff read every morning: did every lead leadpipe submitted arrive, where
// is each one in the funnel, what got funded and what commission is due, and
// do the vendor's numbers match leadpipe's (submitted versus received,
// repayments inserted versus the loans' repaid balances).
//
// It reads only leadpipe's own state (the push ledger, the run journal and
// the push runs' receipts) and the lake (local or any storage backend), and
// it writes a Markdown summary, one CSV per section and a self-contained
// HTML page with charts.
//
// The lake is read with Apache Arrow (see lake.go): only the needed columns
// are decoded, and the latest row per *_uid is found with Arrow compute's
// multi-key sort. Money is summed in integer cents per currency; amounts of
// different currencies are never added together.
//
// Run is the entry point: a plain function the CLI, the `reconcile:`
// pipeline kind and the scheduler call.
package reconcile
