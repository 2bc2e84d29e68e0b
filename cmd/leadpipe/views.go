package main

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/leadpipe/leadpipe/sinks/storage"
	"github.com/leadpipe/leadpipe/sinks/views"
)

func newViewsCmd(g *globals) *cobra.Command {
	var lake, out string
	cmd := &cobra.Command{
		Use:   "views [--lake L] [--out FILE]",
		Short: "Write DuckDB views over a lake: each table's changelog and its current state",
		Long: `Write the DuckDB CREATE VIEW statements for every table of a Parquet (or CSV)
lake: <table>, the changelog, read by column name so that files of older
layouts fit, with dt (the extraction date, UTC) from the partitions; and
<table>_current, the latest row of every *_uid (the newest extraction, then
the newest updated_at; installments_current holds each loan's latest
schedule).

The lake is --lake, else $LEADPIPE_LAKE, else the project's lake: (see
leadpipe.yaml), else lake/ in the project. Without --out the statements go to
standard output:

  leadpipe views --lake ./lake > views.sql
  duckdb -c "$(cat views.sql) SELECT status, count(*) FROM leads_current GROUP BY ALL"`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if lake == "" {
				l, err := defaultLake()
				if err != nil {
					return err
				}
				lake = l
			}
			root := lake
			if storage.Scheme(lake) == "file" {
				abs, err := filepath.Abs(lake)
				if err != nil {
					return err
				}
				root = abs
			}
			sto, err := storage.Open(cmd.Context(), root, storage.Options{})
			if err != nil {
				return withCode(exitFailed, err)
			}
			tables, err := views.Tables(cmd.Context(), sto)
			if err != nil {
				return withCode(exitFailed, err)
			}
			if len(tables) == 0 {
				return withCode(exitFailed, fmt.Errorf("%s holds no table of a Parquet or CSV lake", sto.URL("")))
			}
			sql := views.DuckDB(root, tables)
			if out == "" {
				fmt.Fprint(g.stdout, sql)
				return nil
			}
			if err := os.WriteFile(out, []byte(sql), 0o644); err != nil {
				return withCode(exitFailed, err)
			}
			fmt.Fprintf(g.stdout, "wrote %s (%d tables)\n", out, len(tables))
			return nil
		},
	}
	cmd.Flags().StringVar(&lake, "lake", "", "the lake: a directory, file:// or s3://bucket/prefix")
	cmd.Flags().StringVar(&out, "out", "", "write the statements to this file instead of standard output")
	return cmd
}
