package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/leadpipe/leadpipe/config"
	"github.com/leadpipe/leadpipe/connectors/iute"
	"github.com/leadpipe/leadpipe/pipelines"
)

// newIuteCmd holds the Iute helpers an office uses beside its pipelines.
func newIuteCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "iute",
		Short: "Iute Credit helpers (loan calculator)",
	}
	var pipeline, amount string
	var months int
	calc := &cobra.Command{
		Use:   "calc --pipeline FILE --amount A --months M",
		Short: "Ask Iute's loan calculator for the monthly payment and total of a loan",
		Long: `Ask Iute's loan calculator (loan/calc) what a loan of AMOUNT over MONTHS months
costs: the monthly payment, the total repayable and the first repayment date.
The connection settings (base_url, credentials, partner_type, currency) come
from the iute source or push of the pipeline file.`,
		Example: "  leadpipe iute calc --pipeline examples/iute.yaml --amount 5000 --months 12",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if pipeline == "" || amount == "" || months == 0 {
				return withCode(exitInvalid, fmt.Errorf("--pipeline, --amount and --months are required"))
			}
			plan, err := pipelines.Load(cmd.Context(), pipeline, config.OSEnv)
			if err != nil {
				return err
			}
			var cfg any
			switch {
			case plan.Source != nil && plan.Source.Name == iute.Vendor && plan.DecodeFile == "":
				cfg = plan.SourceConfig
			case plan.Push != nil && plan.Push.Spec != nil && plan.Push.Spec.Name == iute.Vendor:
				cfg = plan.Push.Config
			}
			ic, ok := cfg.(*iute.Config)
			if !ok {
				return withCode(exitInvalid, fmt.Errorf("%s has no iute source or push to take the connection settings from", pipeline))
			}
			res, err := iute.Calc(cmd.Context(), ic, amount, months)
			if err != nil {
				return withCode(exitFailed, err)
			}
			fmt.Fprintln(g.stdout, res.String())
			return nil
		},
	}
	calc.Flags().StringVar(&pipeline, "pipeline", "", "a pipeline file with an iute source or push")
	calc.Flags().StringVar(&amount, "amount", "", "the loan amount, e.g. 5000 or 5000.50")
	calc.Flags().IntVar(&months, "months", 0, "the duration in months")
	cmd.AddCommand(calc)
	return cmd
}
