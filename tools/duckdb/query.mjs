// Runs SQL statements with DuckDB and prints the rows of the last one as
// JSON: node query.mjs "SQL" ["SQL"...]. Used by leadpipe's tests to read its
// Parquet with an engine that shares no code with the writer, and by the
// Parquet benchmark to time DuckDB on the same input.
import { DuckDBInstance } from '@duckdb/node-api';

const db = await DuckDBInstance.create(':memory:');
const conn = await db.connect();
let rows = [];
for (const sql of process.argv.slice(2)) {
  const reader = await conn.runAndReadAll(sql);
  rows = reader.getRowObjectsJson();
}
console.log(JSON.stringify(rows));
