package main

import (
	"context"
	"fmt"
	"io"
	"path/filepath"
	"strings"

	"github.com/leadpipe/leadpipe/pipelines"
	"github.com/leadpipe/leadpipe/sinks/iceberg"
	"github.com/leadpipe/leadpipe/sinks/storage"
)

// demoFormats are the lake formats `leadpipe demo --format` offers.
var demoFormats = []string{"parquet", "iceberg"}

// printIcebergQueries tells how to query the demo's Iceberg tables from
// DuckDB, Spark and Trino. It opens the catalog (beside the state) only to
// name the files and locations the commands need.
func printIcebergQueries(ctx context.Context, w io.Writer, lake, statePath string) error {
	catalog := filepath.Join(filepath.Dir(statePath), pipelines.DefaultCatalogFile)
	s, err := iceberg.Open(ctx, iceberg.Options{Warehouse: lake, Catalog: catalog, Storage: storage.Options{}, ReadOnly: true})
	if err != nil {
		return err
	}
	defer s.Close()
	meta := map[string]string{}
	for _, name := range []string{"leads_current", "loans_current"} {
		tbl, err := s.LoadTable(ctx, name)
		if err != nil {
			return err
		}
		meta[name] = tbl.MetadataLocation()
	}
	leads, _ := s.LoadTable(ctx, "leads_current")
	fmt.Fprintf(w, `The lake is Iceberg tables in the namespace %[1]s: each table's changelog (leads,
loans, ...) and its current state (leads_current, ...: one row per *_uid). Their
catalog is %[2]s (SQLite, in the layout of
Iceberg's JDBC catalog); their files are under %[3]s.

DuckDB, with its iceberg extension (iceberg_scan reads one metadata file: the
newest at the end of this demo):

  duckdb -c "INSTALL iceberg; LOAD iceberg;
             SELECT vendor, status, count(*) AS leads, sum(amount_requested) AS requested
             FROM iceberg_scan('%[4]s')
             GROUP BY ALL ORDER BY vendor, leads DESC"

  duckdb -c "INSTALL iceberg; LOAD iceberg;
             SELECT vendor, currency, count(*) AS loans, sum(principal) AS funded, sum(commission_amount) AS commission
             FROM iceberg_scan('%[5]s') WHERE status = 'funded' GROUP BY ALL"

Spark SQL, through Iceberg's JDBC catalog on the same SQLite file (the catalog
must be named %[6]s, the catalog name leadpipe registers the tables under):

  spark-sql --packages org.apache.iceberg:iceberg-spark-runtime-3.5_2.12:1.9.2,org.xerial:sqlite-jdbc:3.46.1.3 \
    --conf spark.sql.catalog.%[6]s=org.apache.iceberg.spark.SparkCatalog \
    --conf spark.sql.catalog.%[6]s.catalog-impl=org.apache.iceberg.jdbc.JdbcCatalog \
    --conf spark.sql.catalog.%[6]s.uri=jdbc:sqlite:%[2]s \
    --conf spark.sql.catalog.%[6]s.warehouse=%[3]s \
    -e "SELECT vendor, status, count(*) FROM %[6]s.%[1]s.leads_current GROUP BY vendor, status"

Trino reads JDBC catalogs on PostgreSQL or MySQL, not SQLite: register each
table once in an Iceberg catalog of yours (iceberg.register-table-procedure.enabled=true):

  CALL iceberg.system.register_table(schema_name => '%[1]s', table_name => 'leads_current',
                                     table_location => '%[7]s');
  SELECT vendor, status, count(*) FROM iceberg.%[1]s.leads_current GROUP BY 1, 2;

(These commands are printed, not run: the tests read the tables with iceberg-go
and with DuckDB over the data files the snapshots list.)
`, s.Namespace(), catalog, s.Warehouse(), fileOf(meta["leads_current"]), fileOf(meta["loans_current"]),
		iceberg.CatalogName, fileOf(leads.Location()))
	return nil
}

// fileOf is a local file URL as a plain path (what DuckDB and a shell
// expect); other URLs stay as they are.
func fileOf(u string) string {
	if p, ok := strings.CutPrefix(u, "file://"); ok {
		return p
	}
	return u
}
