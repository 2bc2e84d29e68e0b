package parquet_test

import (
	"io"
	"testing"

	"github.com/leadpipe/leadpipe/schema"
	"github.com/leadpipe/leadpipe/sinks/parquet"
	"github.com/leadpipe/leadpipe/sinks/parquet/parquettest"
)

// BenchmarkWriteLeads writes b.N realistic leads (every column populated) in
// batches of 5,000 to one zstd Parquet file on io.Discard. One op is one row;
// the rows/s metric is the throughput. The leads come from a pool of 65,536
// distinct rows generated before the timer starts, larger than any data
// page, so compression sees realistic data rather than repeats.
func BenchmarkWriteLeads(b *testing.B) {
	const poolSize, batchSize = 1 << 16, 5000
	pool := make([]schema.Lead, poolSize)
	parquettest.NewLeadGenerator(1).Fill(pool)
	f, err := parquet.New(parquet.Options{})
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	w, err := f.NewWriter(io.Discard, schema.Leads)
	if err != nil {
		b.Fatal(err)
	}
	for done, off := 0, 0; done < b.N; {
		n := min(batchSize, b.N-done, poolSize-off)
		if err := w.Write(schema.RowsOf(schema.Leads, pool[off:off+n])); err != nil {
			b.Fatal(err)
		}
		done += n
		off = (off + n) % poolSize
	}
	if err := w.Close(); err != nil {
		b.Fatal(err)
	}
	b.StopTimer()
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "rows/s")
}
