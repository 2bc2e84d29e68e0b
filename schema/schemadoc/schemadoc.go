// Package schemadoc is the schema reference: for every canonical column its
// type (as Parquet, Iceberg and DuckDB see it), whether it can be null, what
// it means, which vendors fill it and its privacy class. It is generated
// from the schema descriptor (package schema: the row types, their `col`
// and `pii` tags, docs.go) and from fills.txt, the vendors each column was
// seen filled by when every example pipeline ran against the vendor
// sandboxes (a test in package pipelines keeps that file current).
// `leadpipe schema` prints it; docs/schema.md is its Markdown, kept current
// by a test.
package schemadoc

import (
	_ "embed"
	"encoding/json"
	"fmt"
	"sort"
	"strings"

	"github.com/leadpipe/leadpipe/schema"
)

//go:embed fills.txt
var fillsText string

// FillsFile is fills.txt's path in the repository, for the test that
// rewrites it.
const FillsFile = "schema/schemadoc/fills.txt"

// Fills are the vendors seen filling each column, by "table.column".
var Fills = parseFills(fillsText)

func parseFills(text string) map[string][]string {
	out := map[string][]string{}
	for _, line := range strings.Split(text, "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		col, vendors, ok := strings.Cut(line, ":")
		if !ok {
			continue
		}
		for _, v := range strings.Split(vendors, ",") {
			if v = strings.TrimSpace(v); v != "" {
				out[strings.TrimSpace(col)] = append(out[strings.TrimSpace(col)], v)
			}
		}
	}
	return out
}

// FormatFills writes fills the way fills.txt holds them.
func FormatFills(fills map[string][]string) string {
	var b strings.Builder
	b.WriteString("# The vendors each canonical column was seen filled by, when every example pipeline\n")
	b.WriteString("# (examples/, as leadpipe demo runs them) ran against the vendor sandboxes, before the\n")
	b.WriteString("# privacy policy. Generated: go test ./pipelines -run TestColumnFills -update-fills\n")
	keys := make([]string, 0, len(fills))
	for k := range fills {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		vs := append([]string(nil), fills[k]...)
		sort.Strings(vs)
		fmt.Fprintf(&b, "%s: %s\n", k, strings.Join(vs, ", "))
	}
	return b.String()
}

// Column is one column of the reference.
type Column struct {
	Name        string   `json:"name"`
	Type        string   `json:"type"`
	ParquetType string   `json:"parquet_type"`
	IcebergType string   `json:"iceberg_type"`
	Nullable    bool     `json:"nullable"`
	Meaning     string   `json:"meaning"`
	Vendors     []string `json:"vendors"`
	Privacy     string   `json:"privacy"`
	PrivacyNote string   `json:"privacy_note"`
}

// Table is one table of the reference.
type Table struct {
	Name string `json:"name"`
	// Key is the column the current state has one row per (the key that
	// installments_current replaces a loan's schedule by).
	Key      string   `json:"key"`
	Current  string   `json:"current_table"`
	Columns  []Column `json:"columns"`
	Describe string   `json:"description"`
}

var describe = map[string]string{
	"leads":        "One row per version of a lead: a lead appears again each time it changes.",
	"events":       "Lead events: status changes, calls, emails, messages, notes, documents, tasks.",
	"loans":        "One row per version of a loan (a deal, a facility, an application the vendor decided).",
	"installments": "The repayment schedules of loans, one row per installment.",
	"payments":     "Money movements: repayments, deposits, withdrawals, disbursements, fees.",
}

// types names a column kind as each reader sees it.
var types = map[schema.Kind][3]string{ // type, Parquet, Iceberg
	schema.KindString:    {"string", "BYTE_ARRAY (STRING)", "string"},
	schema.KindMoney:     {"decimal(18,2)", "INT64 (DECIMAL(18,2))", "decimal(18, 2)"},
	schema.KindRate:      {"decimal(18,6)", "INT64 (DECIMAL(18,6))", "decimal(18, 6)"},
	schema.KindTimestamp: {"timestamp (UTC, µs)", "INT64 (TIMESTAMP(MICROS, UTC))", "timestamptz"},
	schema.KindDate:      {"date", "INT32 (DATE)", "date"},
	schema.KindInt:       {"bigint", "INT64", "long"},
}

// privacyNote is what the default privacy policy does with a class.
var privacyNote = map[schema.PrivacyClass]string{
	schema.NotPersonal:   "kept",
	schema.PersonName:    "kept",
	schema.FreeText:      "kept",
	schema.GovID:         "dropped by default",
	schema.BirthDate:     "dropped by default",
	schema.Email:         "hashed by default",
	schema.Phone:         "hashed by default",
	schema.HomeAddress:   "masked by default",
	schema.AccountNumber: "masked by default",
	schema.PerKey:        "each key by its own class",
}

// Tables is the reference of the named tables (every table when none).
func Tables(names ...string) ([]Table, error) {
	var out []Table
	for _, t := range schema.Tables {
		if len(names) > 0 && !contains(names, t.Name) {
			continue
		}
		key := t.Key
		if key == "" {
			key = "loan_uid"
		}
		rt := Table{Name: t.Name, Key: key, Current: t.Name + "_current", Describe: describe[t.Name]}
		for _, c := range t.Columns {
			ty := types[c.Kind]
			vendors := Fills[t.Name+"."+c.Name]
			if vendors == nil {
				vendors = []string{}
			}
			rt.Columns = append(rt.Columns, Column{
				Name: c.Name, Type: ty[0], ParquetType: ty[1], IcebergType: ty[2], Nullable: !c.NotNull,
				Meaning: c.Doc, Vendors: vendors, Privacy: c.Privacy.Name(), PrivacyNote: privacyNote[c.Privacy],
			})
		}
		out = append(out, rt)
	}
	for _, n := range names {
		if _, ok := schema.TableByName(n); !ok {
			var all []string
			for _, t := range schema.Tables {
				all = append(all, t.Name)
			}
			return nil, fmt.Errorf("no table %q (tables: %s)", n, strings.Join(all, ", "))
		}
	}
	return out, nil
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

// Bookkeeping explains the columns and partitions every table shares.
const Bookkeeping = `Every table has three columns leadpipe fills itself:

- **vendor**: the connector the row came from.
- **extracted_at**: when leadpipe extracted the row: the start time of the run that read it, in UTC with
  microseconds. Every row of one run has the same extracted_at, whatever times the vendor gives the row. A
  key's newest version is its row with the greatest extracted_at, then the greatest updated_at.
- **run_id**: the run that wrote the row (` + "`leadpipe runs show RUN_ID`" + `).

**dt** is not a column of the files: it is the Parquet lake's partition directory
` + "`<lake>/<table>/vendor=<vendor>/dt=<YYYY-MM-DD>/`" + `, the UTC date of extracted_at, so the date the run
started, not the date of the vendor's event: a run that starts at 23:59 UTC writes every row under that day.
Hive-style readers (DuckDB with hive_partitioning, Athena, Trino, Spark) see it as a column; ` + "`leadpipe views`" + `
gives it as a DATE. The Iceberg history tables are partitioned by day(extracted_at), the same day.

Each table's current state (` + "`<table>_current`" + `: a view of ` + "`leadpipe views`" + ` over the Parquet lake, an Iceberg table
of the Iceberg sink) has one row per key: the newest extraction, then the newest updated_at.
installments_current holds each loan's schedule as the latest run that read the loan delivered it.

Nullable columns are null when the vendor does not give the value: an empty string is written as null. The
vendors listed are those whose sandboxes filled the column when every example pipeline ran against them
(before the privacy policy); each connector's README says how its fields map.`

// Markdown is the reference as Markdown: docs/schema.md, or one table.
func Markdown(tables []Table) string {
	var b strings.Builder
	whole := len(tables) == len(schema.Tables)
	if whole {
		b.WriteString("# The canonical schema\n\n")
		b.WriteString("<!-- Generated by `leadpipe schema --format md` (package schema/schemadoc); a test fails when this file is stale.\n")
		b.WriteString("     Regenerate: go test ./schema/schemadoc -update -->\n\n")
		b.WriteString("Every vendor lands in these tables, with the same types in the Parquet lake and in the Iceberg tables:\n")
		b.WriteString("money is DECIMAL(18,2) beside a currency column, rates DECIMAL(18,6) fractions, timestamps UTC in\n")
		b.WriteString("microseconds, dates DATE, ids strings; `<entity>_uid` is `vendor:vendor_id`.\n\n")
		b.WriteString("## Bookkeeping, partitions and current state\n\n")
		b.WriteString(Bookkeeping)
		b.WriteString("\n\nThe privacy class is what the column holds; the default privacy policy keeps, drops, hashes or masks it\n")
		b.WriteString("accordingly (see \"Privacy\" in the README).\n")
	}
	for _, t := range tables {
		fmt.Fprintf(&b, "\n## %s\n\n%s Key: `%s`; current state: `%s`.\n\n", t.Name, t.Describe, t.Key, t.Current)
		b.WriteString("| column | type | null | privacy | vendors | meaning |\n|---|---|---|---|---|---|\n")
		for _, c := range t.Columns {
			null := "yes"
			if !c.Nullable {
				null = "never"
			}
			vendors := strings.Join(c.Vendors, ", ")
			if vendors == "" {
				vendors = "none yet"
			}
			if c.Name == "vendor" || c.Name == "extracted_at" || c.Name == "run_id" {
				vendors = "all: leadpipe fills it"
			}
			fmt.Fprintf(&b, "| `%s` | %s | %s | %s (%s) | %s | %s |\n", c.Name, c.Type, null, c.Privacy, c.PrivacyNote, vendors,
				strings.ReplaceAll(c.Meaning, "|", "\\|"))
		}
	}
	return b.String()
}

// JSON is the reference as JSON.
func JSON(tables []Table) ([]byte, error) {
	return json.MarshalIndent(struct {
		Bookkeeping string  `json:"bookkeeping"`
		Tables      []Table `json:"tables"`
	}{Bookkeeping, tables}, "", "  ")
}
