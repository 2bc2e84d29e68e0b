package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/leadpipe/leadpipe/schema/schemadoc"
)

func newSchemaCmd(g *globals) *cobra.Command {
	var format string
	cmd := &cobra.Command{
		Use:   "schema [TABLE] [--format md|json]",
		Short: "The canonical schema: every column's type, nullability, meaning, vendors and privacy class",
		Long: `Print the schema reference: for each canonical table (or only TABLE) every column's
type, whether it can be null, what it means, which vendors fill it and its privacy
class, and what the bookkeeping columns and partitions (vendor, extracted_at,
run_id, dt) mean. docs/schema.md is the same reference, as Markdown.`,
		Example: "  leadpipe schema\n  leadpipe schema loans\n  leadpipe schema --format json | jq '.tables[].columns[] | select(.privacy != \"none\")'",
		Args:    cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			tables, err := schemadoc.Tables(args...)
			if err != nil {
				return withCode(exitInvalid, err)
			}
			switch format {
			case "md", "markdown":
				fmt.Fprint(g.stdout, schemadoc.Markdown(tables))
			case "json":
				b, err := schemadoc.JSON(tables)
				if err != nil {
					return err
				}
				fmt.Fprintln(g.stdout, string(b))
			default:
				return withCode(exitInvalid, fmt.Errorf("--format must be md or json, got %q", format))
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&format, "format", "md", "md (Markdown) or json")
	return cmd
}
