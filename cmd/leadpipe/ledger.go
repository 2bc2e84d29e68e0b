package main

import (
	"fmt"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/leadpipe/leadpipe/pipelines/state"
)

func newLedgerCmd(g *globals) *cobra.Command {
	var pipeline string
	var statuses []string
	cmd := &cobra.Command{
		Use:   "ledger",
		Short: "Show the push ledger, or forget a row a person has checked",
		Long: `Show the push ledger: every row a push pipeline sent or tried to send, with
its status (done, failed, pending, needs_human), the vendor's id and the run.

A row is needs_human when a run could not tell whether the vendor received it
and the vendor offers no way to ask (Iute). Check it at the vendor; if it did
not arrive, 'leadpipe ledger forget' lets the next run send it.`,
		Example: `  leadpipe ledger --status needs_human
  leadpipe ledger --pipeline iute-applications
  leadpipe ledger forget --pipeline iute-applications APP-0007`,
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
			fmt.Fprintln(tw, "SCOPE\tKEY\tSTATUS\tVENDOR ID\tROW\tRUN\tUPDATED\tERROR")
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
					errMsg := e.Error
					if len(errMsg) > 100 {
						errMsg = errMsg[:97] + "..."
					}
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
	cmd.Flags().StringSliceVar(&statuses, "status", nil, "only these statuses: done, failed, pending, needs_human")
	cmd.AddCommand(newLedgerForgetCmd(g))
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
			if pipeline == "" && scope == "" {
				return withCode(exitInvalid, fmt.Errorf("say whose rows: --pipeline P (or --scope S, as 'leadpipe ledger' shows it)"))
			}
			store, err := g.openExistingState(nil)
			if err != nil {
				return err
			}
			defer store.Close()
			scopes := []string{scope}
			if scope == "" {
				if scopes, err = store.LedgerScopes(cmd.Context(), pipeline); err != nil {
					return err
				}
				if len(scopes) == 0 {
					return withCode(exitInvalid, fmt.Errorf("pipeline %s has no ledger entries in %s", pipeline, store.Path()))
				}
				if len(scopes) > 1 {
					return withCode(exitInvalid, fmt.Errorf("pipeline %s pushed to several targets (%s); name one with --scope", pipeline, strings.Join(scopes, ", ")))
				}
			}
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
