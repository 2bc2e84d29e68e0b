package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/leadpipe/leadpipe/config/pipelineschema"
	"github.com/leadpipe/leadpipe/schema/schemadoc"
)

func newSchemaCmd(g *globals) *cobra.Command {
	var format string
	var pipelineJSON bool
	cmd := &cobra.Command{
		Use:   "schema [TABLE] [--format md|json]",
		Short: "The canonical schema: every column's type, nullability, meaning, vendors and privacy class",
		Long: `Print the schema reference: for each canonical table (or only TABLE) every column's
type, whether it can be null, what it means, which vendors fill it and its privacy
class, and what the bookkeeping columns and partitions (vendor, extracted_at,
run_id, dt) mean. docs/schema.md is the same reference, as Markdown.

--pipeline-json prints instead the JSON Schema of pipeline files, generated
from the config types: every key, each connector's config: block with its
fields, types, enums, defaults and docs. docs/pipeline.schema.json is the
same schema; editors use it (see "Editor support" in the README).`,
		Example: "  leadpipe schema\n  leadpipe schema loans\n  leadpipe schema --pipeline-json > pipeline.schema.json\n  leadpipe schema --format json | jq '.tables[].columns[] | select(.privacy != \"none\")'",
		Args:    cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if pipelineJSON {
				if len(args) > 0 || cmd.Flags().Changed("format") {
					return withCode(exitInvalid, fmt.Errorf("--pipeline-json prints the pipeline file schema; it takes no TABLE and no --format"))
				}
				b, err := pipelineschema.Generate()
				if err != nil {
					return err
				}
				_, err = g.stdout.Write(b)
				return err
			}
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
	cmd.Flags().BoolVar(&pipelineJSON, "pipeline-json", false, "print the JSON Schema of pipeline files instead (docs/pipeline.schema.json)")
	return cmd
}
