package main

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/leadpipe/leadpipe/pipelines"
	"github.com/leadpipe/leadpipe/pipelines/state"
	"github.com/leadpipe/leadpipe/sinks/storage"
)

func newLedgerCmd(g *globals) *cobra.Command {
	var pipeline string
	var statuses []string
	cmd := &cobra.Command{
		Use:   "ledger",
		Short: "Show the push ledger; resolve or forget a row a person has checked; rebuild it from receipts",
		Long: `Show the push ledger: every row a push pipeline sent or tried to send, with
its status (done, failed, pending, needs_human, waiting), the vendor's id, the
run and the whole note.

A row is needs_human when a run could not tell whether the vendor received it
and the vendor offers no way to ask (Iute). Check it at the vendor:
  - it arrived: 'leadpipe ledger resolve --pipeline P KEY --vendor-id ID'
    records it as done (never sent again; the report counts it as found);
  - it did not: 'leadpipe ledger forget --pipeline P KEY' lets the next run
    send it.

A waiting row was not sent because the vendor does not accept it yet (an Iute
cash release before Iute allows it); the next run tries it again.`,
		Example: `  leadpipe ledger --status needs_human
  leadpipe ledger --pipeline iute-applications
  leadpipe ledger resolve --pipeline iute-applications APP-0007 --vendor-id 90211
  leadpipe ledger forget --pipeline iute-applications APP-0008
  leadpipe ledger import ./lake/receipts --pipeline backfill-lumi --scope lumi/leads`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			store, err := g.openExistingState(nil)
			if err != nil {
				return err
			}
			defer store.Close()
			if err := knownPipeline(cmd.Context(), store, pipeline); err != nil {
				return err
			}
			scopes, err := store.LedgerScopes(cmd.Context(), pipeline)
			if err != nil {
				return err
			}
			tw := tabwriter.NewWriter(g.stdout, 0, 0, 2, ' ', 0)
			fmt.Fprintln(tw, "SCOPE\tKEY\tSTATUS\tVENDOR ID\tROW\tRUN\tUPDATED\tNOTE")
			n := 0
			for _, sc := range scopes {
				entries, err := store.LedgerList(cmd.Context(), sc, statuses...)
				if err != nil {
					return err
				}
				for _, e := range entries {
					if pipeline != "" && e.Pipeline != pipeline {
						continue
					}
					// The whole note, on one line: its end is the "check at
					// the vendor" detail a person needs.
					errMsg := strings.Join(strings.Fields(e.Error), " ")
					fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%d\t%s\t%s\t%s\n", sc, e.Key, e.Status, e.VendorID, e.Row, e.RunID,
						e.UpdatedAt.Local().Format(time.DateTime), errMsg)
					n++
				}
			}
			if n == 0 {
				fmt.Fprintf(g.stdout, "no ledger entries in %s\n", store.Path())
				return nil
			}
			return tw.Flush()
		},
	}
	cmd.Flags().StringVar(&pipeline, "pipeline", "", "only this pipeline's rows")
	cmd.Flags().StringSliceVar(&statuses, "status", nil, "only these statuses: done, failed, pending, needs_human, waiting")
	cmd.AddCommand(newLedgerForgetCmd(g), newLedgerResolveCmd(g), newLedgerImportCmd(g))
	return cmd
}

func newLedgerForgetCmd(g *globals) *cobra.Command {
	var pipeline, scope string
	cmd := &cobra.Command{
		Use:   "forget --pipeline P KEY...",
		Short: "Forget rows so the next run sends them again",
		Long: `Forget rows of the push ledger, so that the next run of the pipeline sends
them again. Use it only after checking at the vendor that a needs_human or
pending row did not arrive: a forgotten row that did arrive is sent twice.
KEY is the key as 'leadpipe ledger' shows it.`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, keys []string) error {
			store, scope, err := g.ledgerRows(cmd.Context(), pipeline, scope)
			if err != nil {
				return err
			}
			defer store.Close()
			scopes := []string{scope}
			var missing []string
			for _, k := range keys {
				entries, err := store.LedgerGet(cmd.Context(), scopes[0], []string{k})
				if err != nil {
					return err
				}
				e, ok := entries[k]
				if !ok {
					missing = append(missing, k)
					continue
				}
				if e.Status == state.LedgerDone {
					fmt.Fprintf(g.stderr, "warning: %s was accepted by the vendor (id %s); forgetting it means the next run sends it again\n", k, e.VendorID)
				}
				if _, err := store.Forget(cmd.Context(), scopes[0], k); err != nil {
					return err
				}
				fmt.Fprintf(g.stdout, "forgot %s (%s) in %s: the next run sends it\n", k, e.Status, scopes[0])
			}
			if len(missing) > 0 {
				return withCode(exitInvalid, fmt.Errorf("no ledger entry for %s in %s", strings.Join(missing, ", "), scopes[0]))
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&pipeline, "pipeline", "", "the pipeline whose rows to forget")
	cmd.Flags().StringVar(&scope, "scope", "", "the ledger scope, when the pipeline pushed to several")
	return cmd
}

// ledgerRows opens the existing state store for a command that edits a
// pipeline's ledger rows, and finds their scope: the one given, or the one
// target the pipeline pushed to.
func (g *globals) ledgerRows(ctx context.Context, pipeline, scope string) (*state.Store, string, error) {
	if pipeline == "" && scope == "" {
		return nil, "", withCode(exitInvalid, fmt.Errorf("say whose rows: --pipeline P (or --scope S, as 'leadpipe ledger' shows it)"))
	}
	store, err := g.openExistingState(nil)
	if err != nil {
		return nil, "", err
	}
	if scope != "" {
		return store, scope, nil
	}
	scopes, err := store.LedgerScopes(ctx, pipeline)
	switch {
	case err != nil:
	case len(scopes) == 0:
		err = withCode(exitInvalid, fmt.Errorf("pipeline %s has no ledger entries in %s", pipeline, store.Path()))
	case len(scopes) > 1:
		err = withCode(exitInvalid, fmt.Errorf("pipeline %s pushed to several targets (%s); name one with --scope", pipeline, strings.Join(scopes, ", ")))
	default:
		return store, scopes[0], nil
	}
	store.Close()
	return nil, "", err
}

func newLedgerResolveCmd(g *globals) *cobra.Command {
	var pipeline, scope, vendorID, note string
	cmd := &cobra.Command{
		Use:   "resolve --pipeline P KEY --vendor-id ID",
		Short: "Record a row a person found at the vendor as done",
		Long: `Record that a person checked a needs_human (or pending, failed or waiting)
row at the vendor and found it there, under the vendor's id: the row becomes
done, no run sends it again, and the reconciliation report counts it like
any row the vendor accepted (found, when the latest pull shows it). For an
Iute application the id is its loan ref, which leadpipe then polls; for an
Iute repayment, the loan's ref.

For a row that did not arrive, use 'leadpipe ledger forget' instead, so the
next run sends it.`,
		Example: `  leadpipe ledger resolve --pipeline iute-applications APP-0007 --vendor-id 90211
  leadpipe ledger resolve --pipeline iute-repayments RF-0016 --vendor-id 90211 --note "booked 21 Nov, seen in the back office"`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if strings.TrimSpace(vendorID) == "" {
				return withCode(exitInvalid, fmt.Errorf("--vendor-id: the id under which the row was found at the vendor is required"))
			}
			ctx := cmd.Context()
			store, scope, err := g.ledgerRows(ctx, pipeline, scope)
			if err != nil {
				return err
			}
			defer store.Close()
			key, now := args[0], time.Now()
			msg := fmt.Sprintf("resolved by hand %s: found at the vendor as %s", now.Format(time.DateTime), vendorID)
			if note != "" {
				msg += ": " + note
			}
			prev, err := store.Resolve(ctx, scope, key, vendorID, msg, map[string]string{"resolved_at": now.UTC().Format(time.RFC3339)})
			switch {
			case errors.Is(err, state.ErrNotFound), errors.Is(err, state.ErrAlreadyDone):
				return withCode(exitInvalid, err)
			case err != nil:
				return err
			}
			vendor, target, _ := strings.Cut(strings.SplitN(scope, "@", 2)[0], "/")
			if target == "loans" {
				// A loan created at the vendor: pull pipelines that poll the
				// loans leadpipe knows (Iute has no list) now poll it too.
				if err := store.AddLoanRef(ctx, state.LoanRef{Vendor: vendor, Ref: vendorID, Pipeline: prev.Pipeline, RowKey: key, Origin: "submitted"}); err != nil {
					return err
				}
			}
			fmt.Fprintf(g.stdout, "resolved %s in %s: done, vendor id %s (it was %s); no run sends it again\n", key, scope, vendorID, prev.Status)
			return nil
		},
	}
	cmd.Flags().StringVar(&pipeline, "pipeline", "", "the pipeline whose row it is")
	cmd.Flags().StringVar(&scope, "scope", "", "the ledger scope, when the pipeline pushed to several")
	cmd.Flags().StringVar(&vendorID, "vendor-id", "", "the id under which the row was found at the vendor")
	cmd.Flags().StringVar(&note, "note", "", "what was checked, kept in the ledger")
	return cmd
}

func newLedgerImportCmd(g *globals) *cobra.Command {
	var pipeline, scope string
	cmd := &cobra.Command{
		Use:   "import RECEIPTS --pipeline P --scope S",
		Short: "Rebuild a push's ledger rows from the receipts of its runs",
		Long: `Rebuild the ledger rows of a push pipeline from the receipts its runs wrote
(RECEIPTS: their directory, local or s3://, or one receipts file), for a state
store that lost them or never had them: a push refuses to send when its
ledger is empty but receipts show rows were sent, and prints this command.

Rows sent or updated become done (with the vendor's id), rows the vendor
refused become failed, rows that need a human stay so, and a failed row whose
outcome the receipt cannot tell becomes pending (the next run looks it up at
the vendor before sending anything). Rows rejected before sending leave no
ledger row. Keys the ledger has already are left as they are. Imported rows
count as unchanged since they were sent.`,
		Example: `  leadpipe ledger import ./lake/receipts --pipeline backfill-lumi --scope lumi/leads`,
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if pipeline == "" || scope == "" {
				return withCode(exitInvalid, fmt.Errorf("--pipeline and --scope are required (the refusing push prints both)"))
			}
			store, err := g.openState(nil)
			if err != nil {
				return err
			}
			defer store.Close()
			res, err := pipelines.ImportLedger(cmd.Context(), store, args[0], pipeline, scope, storage.Options{})
			if err != nil {
				return err
			}
			var parts []string
			for _, st := range []string{state.LedgerDone, state.LedgerFailed, state.LedgerPending, state.LedgerNeedsHuman} {
				if n := res.ByStatus[st]; n > 0 {
					parts = append(parts, fmt.Sprintf("%d %s", n, st))
				}
			}
			if len(parts) == 0 {
				parts = []string{"no new rows"}
			}
			fmt.Fprintf(g.stdout, "imported %s into %s (scope %s) from %d receipts files; %d keys were in the ledger already, %d receipt lines leave no ledger row\n",
				strings.Join(parts, ", "), store.Path(), scope, res.Files, res.Known, res.Skipped)
			return nil
		},
	}
	cmd.Flags().StringVar(&pipeline, "pipeline", "", "the pipeline whose receipts they are")
	cmd.Flags().StringVar(&scope, "scope", "", "the ledger scope of its target, as the refusing push prints it (connector/target@account)")
	return cmd
}
