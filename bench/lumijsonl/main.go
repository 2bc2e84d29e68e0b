// Command lumijsonl is the benchmark of issue 2: normalize N Lumi-shaped
// leads from a JSON-lines file and write them to zstd Parquet through the
// real engine (`leadpipe run` on a pipeline with `source.file`), and, on the
// same file and machine, DuckDB's
//
//	COPY (SELECT * FROM read_json_auto('leads.jsonl')) TO 'leads.parquet' (FORMAT parquet, COMPRESSION zstd)
//
// It prints rows/s and peak RSS for both.
//
//	go run ./bench/lumijsonl -n 1000000 -dir /tmp/bench
//	go run ./bench/lumijsonl -n 1000000 -dir /tmp/bench -duckdb   # also time DuckDB (needs tools/duckdb installed)
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"strings"
	"time"

	"github.com/leadpipe/leadpipe/bench/lumigen"
	"github.com/leadpipe/leadpipe/config"
	_ "github.com/leadpipe/leadpipe/connectors/all"
	"github.com/leadpipe/leadpipe/pipelines"
	"github.com/leadpipe/leadpipe/pipelines/state"
	_ "github.com/leadpipe/leadpipe/sinks/storage/local"
	_ "github.com/leadpipe/leadpipe/sinks/storage/s3"
)

const pipeline = `name: bench-lumi-file
source:
  connector: lumi
  streams: [leads]
  file:
    path: %s
sink:
  path: %s
  format: parquet
batch_size: %d
`

func main() {
	n := flag.Int("n", 1_000_000, "leads in the input file")
	dir := flag.String("dir", os.TempDir()+"/leadpipe-bench", "work directory (the input is generated once and reused)")
	batch := flag.Int("batch", 5000, "rows per batch")
	duck := flag.Bool("duckdb", false, "also run DuckDB's COPY on the same file (node and tools/duckdb needed)")
	skipLeadpipe := flag.Bool("skip-leadpipe", false, "only run DuckDB")
	cpuProfile := flag.String("cpuprofile", "", "write a CPU profile of the leadpipe run")
	memProfile := flag.String("memprofile", "", "write a heap profile 10 s into the run")
	flag.Parse()
	if *memProfile != "" {
		go func() {
			time.Sleep(10 * time.Second)
			if f, err := os.Create(*memProfile); err == nil {
				runtime.GC()
				pprof.WriteHeapProfile(f)
				f.Close()
			}
		}()
	}
	if *cpuProfile != "" {
		f, err := os.Create(*cpuProfile)
		if err == nil {
			pprof.StartCPUProfile(f)
			defer pprof.StopCPUProfile()
		}
	}
	if err := run(*n, *dir, *batch, *duck, *skipLeadpipe); err != nil {
		fmt.Fprintln(os.Stderr, "error:", err)
		pprof.StopCPUProfile()
		os.Exit(1)
	}
}

func run(n int, dir string, batch int, duck, skipLeadpipe bool) error {
	ctx := context.Background() // a benchmark program: the root of its runs
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	input := filepath.Join(dir, fmt.Sprintf("leads-%d.jsonl", n))
	if _, err := os.Stat(input); err != nil {
		start := time.Now()
		if err := lumigen.Generate(input, n, 42, nil); err != nil {
			return err
		}
		fmt.Printf("generated %s in %s\n", input, time.Since(start).Round(time.Millisecond))
	}
	st, _ := os.Stat(input)
	fmt.Printf("input: %d leads, %.0f MiB\n", n, float64(st.Size())/(1<<20))

	if !skipLeadpipe {
		lake := filepath.Join(dir, "lake")
		os.RemoveAll(lake)
		os.RemoveAll(filepath.Join(dir, "state.db"))
		path := filepath.Join(dir, "bench.yaml")
		if err := os.WriteFile(path, []byte(fmt.Sprintf(pipeline, input, lake, batch)), 0o644); err != nil {
			return err
		}
		plan, err := pipelines.Load(ctx, path, config.OSEnv)
		if err != nil {
			return err
		}
		store, err := state.Open(filepath.Join(dir, "state.db"))
		if err != nil {
			return err
		}
		defer store.Close()
		start := time.Now()
		sum, err := pipelines.Run(ctx, plan, store, pipelines.Options{})
		if err != nil {
			return err
		}
		el := time.Since(start)
		var bytes int64
		for _, f := range sum.Files {
			bytes += f.Bytes
		}
		fmt.Printf("leadpipe: %d rows in %s = %.0f rows/s, %.1f MiB Parquet, peak RSS %s\n",
			sum.Rows["leads"], el.Round(time.Millisecond), float64(sum.Rows["leads"])/el.Seconds(), float64(bytes)/(1<<20), peakRSS())
	}
	if duck {
		return runDuckDB(input, filepath.Join(dir, "duckdb.parquet"))
	}
	return nil
}

func peakRSS() string {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return "?"
	}
	for _, l := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(l, "VmHWM:") {
			return strings.TrimSpace(strings.TrimPrefix(l, "VmHWM:"))
		}
	}
	return "?"
}

// runDuckDB times DuckDB's COPY in a node process and reads its peak RSS
// from /usr/bin/time when available.
func runDuckDB(input, out string) error {
	wd, _ := os.Getwd()
	tools := filepath.Join(wd, "tools", "duckdb")
	sql := fmt.Sprintf("COPY (SELECT * FROM read_json_auto('%s')) TO '%s' (FORMAT parquet, COMPRESSION zstd)", input, out)
	args := []string{"node", filepath.Join(tools, "query.mjs"), sql}
	if _, err := os.Stat("/usr/bin/time"); err == nil {
		args = append([]string{"/usr/bin/time", "-f", "peak RSS %M kB"}, args...)
	}
	cmd := exec.Command(args[0], args[1:]...)
	cmd.Dir = tools
	start := time.Now()
	outb, err := cmd.CombinedOutput()
	el := time.Since(start)
	if err != nil {
		return fmt.Errorf("duckdb: %v: %s", err, outb)
	}
	st, _ := os.Stat(out)
	var size int64
	if st != nil {
		size = st.Size()
	}
	fmt.Printf("duckdb:   COPY in %s, %.1f MiB Parquet; %s\n", el.Round(time.Millisecond), float64(size)/(1<<20), strings.TrimSpace(lastLine(string(outb))))
	return nil
}

func lastLine(s string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	return lines[len(lines)-1]
}
