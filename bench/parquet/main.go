// Command parquet benchmarks the leadpipe Parquet writer: it writes N
// generated leads (every column populated, varied values) to a zstd Parquet
// file in batches, and prints the throughput, the output size and the peak
// resident memory, so runs with different N show that memory stays flat.
//
//	go run ./bench/parquet -n 1000000 -o /tmp/leads.parquet
//
// Every lead is generated fresh (no repeats), batch by batch, so the
// end-to-end figure includes the generator. The time spent inside Write and
// Close is reported too, but the writer encodes in the background while the
// next batch is generated, so it flatters the writer; for the writer alone
// see BenchmarkWriteLeads in sinks/parquet, which writes from rows generated
// beforehand, as DuckDB's COPY writes from a table already in memory.
package main

import (
	"bufio"
	"flag"
	"fmt"
	"os"
	"runtime"
	"runtime/pprof"
	"strings"
	"time"

	"github.com/leadpipe/leadpipe/schema"
	"github.com/leadpipe/leadpipe/sinks/parquet"
	"github.com/leadpipe/leadpipe/sinks/parquet/parquettest"
)

func main() {
	n := flag.Int("n", 1_000_000, "number of leads to write")
	batch := flag.Int("batch", 5000, "rows per Write")
	out := flag.String("o", "", "output file (default: a temporary file, removed afterwards)")
	codec := flag.String("compression", "zstd", "zstd, snappy, gzip or none")
	level := flag.Int("level", 0, "compression level (0: the codec's default)")
	rowGroup := flag.Int("rowgroup", 0, "rows per row group (0: the writer's default)")
	flag.StringVar(&memProfile, "memprofile", "", "write a heap profile half way through")
	flag.Parse()
	if err := run(*n, *batch, *out, *codec, *level, *rowGroup); err != nil {
		fmt.Fprintln(os.Stderr, "bench/parquet:", err)
		os.Exit(1)
	}
}

func run(n, batchSize int, out, codec string, level, rowGroup int) error {
	format, err := parquet.New(parquet.Options{Compression: codec, CompressionLevel: level, RowGroupRows: rowGroup})
	if err != nil {
		return err
	}
	path := out
	if path == "" {
		f, err := os.CreateTemp("", "leadpipe-bench-*.parquet")
		if err != nil {
			return err
		}
		path = f.Name()
		f.Close()
		defer os.Remove(path)
	}
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	defer f.Close()
	bw := bufio.NewWriterSize(f, 1<<20)

	gen := parquettest.NewLeadGenerator(42)
	leads := make([]schema.Lead, batchSize)
	start := time.Now()
	var genTime, writeTime time.Duration
	w, err := format.NewWriter(bw, schema.Leads)
	if err != nil {
		return err
	}
	for done := 0; done < n; {
		k := min(batchSize, n-done)
		t0 := time.Now()
		gen.Fill(leads[:k])
		t1 := time.Now()
		if err := w.Write(schema.RowsOf(schema.Leads, leads[:k])); err != nil {
			return err
		}
		if memProfile != "" && done < n/2 && done+k >= n/2 {
			if err := writeHeapProfile(memProfile); err != nil {
				return err
			}
		}
		genTime += t1.Sub(t0)
		writeTime += time.Since(t1)
		done += k
	}
	t1 := time.Now()
	if err := w.Close(); err != nil {
		return err
	}
	if err := bw.Flush(); err != nil {
		return err
	}
	if err := f.Sync(); err != nil {
		return err
	}
	writeTime += time.Since(t1)
	total := time.Since(start)
	st, err := f.Stat()
	if err != nil {
		return err
	}

	var ru runtimeStats
	ru.read()
	fmt.Printf("rows            %d (batches of %d, %s, GOMAXPROCS %d)\n", n, batchSize, format.Options().Compression, runtime.GOMAXPROCS(0))
	fmt.Printf("end to end      %.2fs  %.0f rows/s (generate + write)\n", total.Seconds(), float64(n)/total.Seconds())
	fmt.Printf("in Write+Close  %.2fs  %.0f rows/s (encoding overlaps generation)\n", writeTime.Seconds(), float64(n)/writeTime.Seconds())
	fmt.Printf("generator       %.2fs\n", genTime.Seconds())
	fmt.Printf("output          %s  %.1f MiB  (%.1f bytes/row)\n", path, float64(st.Size())/(1<<20), float64(st.Size())/float64(n))
	fmt.Printf("peak RSS        %.1f MiB (VmHWM)\n", float64(ru.hwmKB)/1024)
	fmt.Printf("cpu             %.2fs user+sys\n", ru.cpu.Seconds())
	return nil
}

var memProfile string

func writeHeapProfile(path string) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	runtime.GC()
	if err := pprof.WriteHeapProfile(f); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

type runtimeStats struct {
	hwmKB int64
	cpu   time.Duration
}

func (r *runtimeStats) read() {
	b, err := os.ReadFile("/proc/self/status")
	if err == nil {
		for _, line := range strings.Split(string(b), "\n") {
			if v, ok := strings.CutPrefix(line, "VmHWM:"); ok {
				fmt.Sscanf(strings.TrimSpace(v), "%d", &r.hwmKB)
			}
		}
	}
	r.cpu = cpuTime()
}
