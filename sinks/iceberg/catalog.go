package iceberg

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/apache/iceberg-go"
	"github.com/apache/iceberg-go/catalog"
	sqlcat "github.com/apache/iceberg-go/catalog/sql"
	iceio "github.com/apache/iceberg-go/io"
	"github.com/apache/iceberg-go/table"

	_ "modernc.org/sqlite" // the pure-Go SQLite driver ("sqlite"): no cgo
)

// CatalogName is the catalog_name leadpipe registers its tables under in
// the SQL catalog's iceberg_tables table (the JDBC catalog schema, which
// Spark's and Trino's JDBC catalogs read too).
const CatalogName = "leadpipe"

// catalogOpener opens the database behind an SQL catalog. The returned
// description names the database for messages; it never holds credentials.
type catalogOpener func(ctx context.Context, location string, readOnly bool) (db *sql.DB, dialect sqlcat.SupportedDialect, desc string, err error)

// catalogOpeners are the catalog kinds on offer, by URL scheme. Only kinds a
// test runs against a real server (or file) belong here: Postgres arrives
// with its own tests, REST and Glue are not offered yet.
var catalogOpeners = map[string]catalogOpener{"sqlite": openSQLite}

// notOffered explains the catalog kinds users may reasonably try.
var notOffered = map[string]string{
	"postgres":   "Postgres catalogs are not offered yet",
	"postgresql": "Postgres catalogs are not offered yet",
	"http":       "REST catalogs are not offered yet",
	"https":      "REST catalogs are not offered yet",
	"glue":       "Glue catalogs are not offered yet",
}

// CatalogScheme is the kind of a catalog location: "sqlite" for a plain
// path or a sqlite: URL, otherwise the URL scheme.
func CatalogScheme(location string) string {
	if i := strings.Index(location, ":"); i > 1 {
		return strings.ToLower(location[:i])
	}
	return "sqlite"
}

// CheckCatalog reports a catalog location leadpipe cannot use, without
// opening it.
func CheckCatalog(location string) error {
	scheme := CatalogScheme(location)
	if _, ok := catalogOpeners[scheme]; ok {
		return nil
	}
	if why, ok := notOffered[scheme]; ok {
		return fmt.Errorf("%s: %s; use an SQLite file (a path, or sqlite:PATH)", scheme, why)
	}
	return fmt.Errorf("unknown catalog kind %q; use an SQLite file (a path, or sqlite:PATH)", scheme)
}

// SQLitePath is the file of a sqlite: location.
func SQLitePath(location string) string {
	if CatalogScheme(location) != "sqlite" || !strings.Contains(location, ":") {
		return location
	}
	p := location[strings.Index(location, ":")+1:]
	if strings.HasPrefix(p, "//") {
		if u, err := url.Parse(location); err == nil {
			return u.Host + u.Path
		}
	}
	return p
}

// statCatalog checks that a catalog exists, without creating it.
func statCatalog(location string) (os.FileInfo, error) {
	if CatalogScheme(location) != "sqlite" {
		return nil, CheckCatalog(location)
	}
	return os.Stat(SQLitePath(location))
}

// openSQLite opens (creating, unless readOnly) a catalog database file. It
// uses the same settings as leadpipe's state store: WAL so readers never
// wait for a writer, a busy timeout so concurrent runs of different
// pipelines queue instead of failing, and immediate transactions so a
// writer takes its lock up front instead of failing to upgrade one.
func openSQLite(ctx context.Context, location string, readOnly bool) (*sql.DB, sqlcat.SupportedDialect, string, error) {
	p := SQLitePath(location)
	if p == "" {
		return nil, "", "", errors.New("the SQLite catalog needs a file path")
	}
	if readOnly {
		if _, err := os.Stat(p); err != nil {
			return nil, "", p, err
		}
	} else if err := os.MkdirAll(filepath.Dir(p), 0o700); err != nil {
		return nil, "", p, err
	}
	q := url.Values{}
	q.Add("_pragma", "busy_timeout(10000)")
	q.Add("_pragma", "journal_mode(WAL)")
	q.Add("_pragma", "synchronous(FULL)")
	q.Set("_txlock", "immediate")
	if readOnly {
		q.Set("mode", "ro")
	}
	db, err := sql.Open("sqlite", "file:"+p+"?"+q.Encode())
	if err != nil {
		return nil, "", p, err
	}
	db.SetMaxOpenConns(4)
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		return nil, "", p, err
	}
	if !readOnly {
		// The catalog lists where every table's metadata is: keep it as
		// private as the state.
		_ = os.Chmod(p, 0o600)
	}
	return db, sqlcat.SQLite, p, nil
}

// sqlCatalog is iceberg-go's SQL catalog plus an atomic commit of several
// tables at once, which that catalog does not offer. The run's history and
// current tables must change together (a reader must never see a run's
// rows in leads but not yet in leads_current), and every table's metadata
// pointer lives in the one iceberg_tables table, so one database
// transaction can move them all.
type sqlCatalog struct {
	*sqlcat.Catalog
	db *sql.DB
}

var _ catalog.TransactionalCatalog = (*sqlCatalog)(nil)

// CommitTransaction applies each table's updates to its current metadata,
// writes the new metadata files, then moves every table's metadata pointer
// in one SQL transaction, each guarded by the pointer its updates were
// based on. If any table moved in the meantime, or a requirement no longer
// holds, nothing changes and the error wraps table.ErrCommitFailed, so the
// caller rebuilds the changes on the new state and tries again. The new
// metadata files of a failed commit are referenced by nothing.
func (c *sqlCatalog) CommitTransaction(ctx context.Context, commits []table.TableCommit) error {
	type swap struct {
		ns, name, from, to string
	}
	var swaps []swap
	for _, tc := range commits {
		if len(tc.Updates) == 0 {
			continue
		}
		cur, err := c.LoadTable(ctx, tc.Identifier)
		if err != nil {
			return err
		}
		for _, r := range tc.Requirements {
			if err := r.Validate(cur.Metadata()); err != nil {
				return fmt.Errorf("%w: %s: %w", table.ErrCommitFailed, strings.Join(tc.Identifier, "."), err)
			}
		}
		updated, err := table.UpdateTableMetadata(cur.Metadata(), tc.Updates, cur.MetadataLocation())
		if err != nil {
			return fmt.Errorf("update %s: %w", strings.Join(tc.Identifier, "."), err)
		}
		prov, err := table.LoadLocationProvider(updated.Location(), updated.Properties())
		if err != nil {
			return err
		}
		loc, err := prov.NewTableMetadataFileLocation(metadataVersion(cur.MetadataLocation()) + 1)
		if err != nil {
			return err
		}
		fs, err := cur.FS(ctx)
		if err != nil {
			return err
		}
		if err := writeMetadata(fs, loc, updated); err != nil {
			return fmt.Errorf("write metadata of %s: %w", strings.Join(tc.Identifier, "."), err)
		}
		swaps = append(swaps, swap{
			ns: strings.Join(catalog.NamespaceFromIdent(tc.Identifier), "."), name: catalog.TableNameFromIdent(tc.Identifier),
			from: cur.MetadataLocation(), to: loc,
		})
	}
	if len(swaps) == 0 {
		return nil
	}
	tx, err := c.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback() //nolint:errcheck // a no-op after Commit
	for _, s := range swaps {
		res, err := tx.ExecContext(ctx, `UPDATE iceberg_tables SET metadata_location = ?, previous_metadata_location = ?
			WHERE catalog_name = ? AND table_namespace = ? AND table_name = ? AND metadata_location = ?`,
			s.to, s.from, c.Name(), s.ns, s.name, s.from)
		if err != nil {
			return fmt.Errorf("commit %s.%s: %w", s.ns, s.name, err)
		}
		if n, err := res.RowsAffected(); err != nil || n != 1 {
			return fmt.Errorf("%w: table %s.%s changed during the commit", table.ErrCommitFailed, s.ns, s.name)
		}
	}
	return tx.Commit()
}

// writeMetadata writes a table metadata file (plain JSON, the default
// codec, which NewTableMetadataFileLocation named the file for).
func writeMetadata(fs iceio.IO, loc string, md table.Metadata) (err error) {
	wfs, ok := fs.(iceio.WriteFileIO)
	if !ok {
		return errors.New("the table's file system is read-only")
	}
	b, err := json.Marshal(md)
	if err != nil {
		return err
	}
	return wfs.WriteFile(loc, b)
}

// metadataVersion is the version number a metadata file's name starts
// with ("00003-<uuid>.metadata.json" is 3; "v3.metadata.json" too).
func metadataVersion(loc string) int {
	name := strings.TrimPrefix(path.Base(loc), "v")
	digits := name
	if i := strings.IndexFunc(name, func(r rune) bool { return r < '0' || r > '9' }); i >= 0 {
		digits = name[:i]
	}
	v, err := strconv.Atoi(digits)
	if err != nil {
		return 0
	}
	return v
}

// openCatalog opens the SQL catalog at location with the given catalog
// properties (the warehouse, S3 settings).
func openCatalog(ctx context.Context, location string, props iceberg.Properties, readOnly bool) (*sqlCatalog, string, error) {
	if err := CheckCatalog(location); err != nil {
		return nil, "", err
	}
	db, dialect, desc, err := catalogOpeners[CatalogScheme(location)](ctx, location, readOnly)
	if err != nil {
		return nil, desc, fmt.Errorf("open the Iceberg catalog %s: %w", desc, err)
	}
	p := iceberg.Properties{}
	for k, v := range props {
		p[k] = v
	}
	if !readOnly {
		p["init_catalog_tables"] = "true"
		p[sqlcat.SchemaVersionKey] = sqlcat.SchemaVersionV1
	}
	cat, err := sqlcat.NewCatalog(CatalogName, db, dialect, p)
	if err != nil {
		db.Close()
		return nil, desc, fmt.Errorf("open the Iceberg catalog %s: %w", desc, err)
	}
	return &sqlCatalog{Catalog: cat, db: db}, desc, nil
}

// Close closes the catalog's database.
func (c *sqlCatalog) Close() error {
	err := c.Catalog.Close()
	return errors.Join(err, c.db.Close())
}
