// Command iceberg is the benchmark of issue 19: the same pull of N
// Lumi-shaped leads from a JSON-lines file (through the real engine, as
// `leadpipe run` runs it) written as a Parquet lake and as Iceberg tables,
// with the ratio of wall time and of peak RSS; then incremental runs that
// change C of those leads in the N-row leads_current: C leads picked at
// random (every month's partition is hit) and the C most recently created
// (the newest months only). Each run is its own process, so each peak RSS
// is its own.
//
//	go run ./bench/iceberg -n 1000000 -changes 10000 -dir /tmp/leadpipe-bench-iceberg
//
// LEADPIPE_BENCH_HEAPPROFILE=FILE makes each run write a heap profile at
// its peak.
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"sort"
	"strings"
	"syscall"
	"time"

	"github.com/leadpipe/leadpipe/bench/lumigen"
	"github.com/leadpipe/leadpipe/config"
	_ "github.com/leadpipe/leadpipe/connectors/all"
	"github.com/leadpipe/leadpipe/pipelines"
	"github.com/leadpipe/leadpipe/pipelines/state"
	"github.com/leadpipe/leadpipe/sinks/iceberg"
	_ "github.com/leadpipe/leadpipe/sinks/storage/local"
)

const pipeline = `name: bench-%[4]s
source:
  connector: lumi
  streams: [leads]
  file:
    path: %[1]s
sink:
  path: %[2]s
  format: %[3]s
batch_size: 5000
`

// result is one run, as a child process reports it.
type result struct {
	Mode   string                         `json:"mode"`
	Wall   float64                        `json:"wall_s"`
	RSSKB  int64                          `json:"peak_rss_kb"`
	CPU    float64                        `json:"cpu_s"` // user + system
	Rows   int64                          `json:"rows"`
	Files  int                            `json:"files"`
	Bytes  int64                          `json:"bytes"`
	Ice    map[string]iceberg.TableResult `json:"iceberg,omitempty"`
	Before int                            `json:"current_files_before,omitempty"`
	After  int                            `json:"current_files_after,omitempty"`
}

func main() {
	n := flag.Int("n", 1_000_000, "leads in the first run")
	changes := flag.Int("changes", 10_000, "leads the incremental runs change")
	dir := flag.String("dir", filepath.Join(os.TempDir(), "leadpipe-bench-iceberg"), "work directory (inputs are generated once and reused)")
	mode := flag.String("mode", "", "internal: run one mode in this process (parquet, iceberg, random, recent)")
	flag.Parse()
	var err error
	if *mode != "" {
		err = child(*mode, *n, *changes, *dir)
	} else {
		err = parent(*n, *changes, *dir)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "error:", err)
		os.Exit(1)
	}
}

func inputs(n, changes int, dir string) (full, random, recent string) {
	return filepath.Join(dir, fmt.Sprintf("leads-%d.jsonl", n)),
		filepath.Join(dir, fmt.Sprintf("changes-random-%d-of-%d.jsonl", changes, n)),
		filepath.Join(dir, fmt.Sprintf("changes-recent-%d-of-%d.jsonl", changes, n))
}

func parent(n, changes int, dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	full, random, recent := inputs(n, changes, dir)
	if err := generateInputs(n, changes, full, random, recent); err != nil {
		return err
	}
	for _, p := range []string{"lake-parquet", "warehouse", "state-parquet.db", "state-iceberg.db", "iceberg.db"} {
		os.RemoveAll(filepath.Join(dir, p))
	}
	var res []result
	for _, m := range []string{"parquet", "iceberg", "random", "recent"} {
		r, err := spawn(m, n, changes, dir)
		if err != nil {
			return err
		}
		res = append(res, r)
		fmt.Printf("%-8s %8d rows in %7.2f s (CPU %6.2f s), peak RSS %5.0f MiB, %d files, %.1f MiB", r.Mode, r.Rows, r.Wall, r.CPU, float64(r.RSSKB)/1024, r.Files, float64(r.Bytes)/(1<<20))
		if t, ok := r.Ice["leads"]; ok {
			fmt.Printf("; leads_current: %d stored rows replaced, %d files rewritten, %d removed, %d added, 0 delete files (files %d → %d)",
				t.ReplacedRows, t.Rewritten, t.Removed, t.CurrentFiles, r.Before, r.After)
		}
		fmt.Println()
	}
	pq, ice := res[0], res[1]
	fmt.Printf("\nIceberg / Parquet lake for %d leads: wall %.2f×, CPU %.2f×, peak RSS %.2f×\n", n, ice.Wall/pq.Wall, ice.CPU/pq.CPU, float64(ice.RSSKB)/float64(pq.RSSKB))
	return nil
}

// generateInputs writes the N leads, then the same C leads changed
// (status FUNDED, updated 400 days after creation): picked at random, and
// the most recently created.
func generateInputs(n, changes int, full, random, recent string) error {
	if _, err := os.Stat(full); err != nil {
		start := time.Now()
		if err := lumigen.Generate(full, n, 42, nil); err != nil {
			return err
		}
		fmt.Printf("generated %s in %s\n", full, time.Since(start).Round(time.Millisecond))
	}
	change := func(l *lumigen.Lead) {
		l.Status = "FUNDED"
		if t, err := time.Parse(time.RFC3339, l.CreatedAt); err == nil {
			l.UpdatedAt = t.Add(400 * 24 * time.Hour).Format(time.RFC3339)
		}
	}
	write := func(path string, pick func() (map[int]bool, error)) error {
		if _, err := os.Stat(path); err == nil {
			return nil
		}
		picked, err := pick()
		if err != nil {
			return err
		}
		return lumigen.Generate(path, n, 42, func(i int, l *lumigen.Lead) bool {
			if picked[i] {
				change(l)
			}
			return picked[i]
		})
	}
	err := write(random, func() (map[int]bool, error) {
		picked := map[int]bool{}
		for _, i := range rand.New(rand.NewPCG(7, 7)).Perm(n)[:changes] {
			picked[i] = true
		}
		return picked, nil
	})
	if err != nil {
		return err
	}
	return write(recent, func() (map[int]bool, error) {
		type created struct {
			i  int
			at string
		}
		all := make([]created, 0, n)
		err := lumigen.Generate(os.DevNull, n, 42, func(i int, l *lumigen.Lead) bool {
			all = append(all, created{i, l.CreatedAt})
			return false
		})
		sort.Slice(all, func(a, b int) bool { return all[a].at > all[b].at })
		picked := map[int]bool{}
		for _, c := range all[:changes] {
			picked[c.i] = true
		}
		return picked, err
	})
}

func spawn(mode string, n, changes int, dir string) (result, error) {
	exe, err := os.Executable()
	if err != nil {
		return result{}, err
	}
	cmd := exec.Command(exe, "-mode", mode, "-n", fmt.Sprint(n), "-changes", fmt.Sprint(changes), "-dir", dir)
	cmd.Stderr = os.Stderr
	out, err := cmd.Output()
	if err != nil {
		return result{}, fmt.Errorf("%s: %w", mode, err)
	}
	var r result
	if err := json.Unmarshal(out, &r); err != nil {
		return result{}, fmt.Errorf("%s: %w: %s", mode, err, out)
	}
	return r, nil
}

func child(mode string, n, changes int, dir string) error {
	if p := os.Getenv("LEADPIPE_BENCH_HEAPPROFILE"); p != "" {
		go heapAtPeak(p)
	}
	full, random, recent := inputs(n, changes, dir)
	input, format, lake, statePath := full, "iceberg", filepath.Join(dir, "warehouse"), filepath.Join(dir, "state-iceberg.db")
	switch mode {
	case "parquet":
		format, lake, statePath = "parquet", filepath.Join(dir, "lake-parquet"), filepath.Join(dir, "state-parquet.db")
	case "random":
		input = random
	case "recent":
		input = recent
	}
	path := filepath.Join(dir, "bench-"+mode+".yaml")
	yaml := fmt.Sprintf(pipeline, input, lake, format, format)
	if err := os.WriteFile(path, []byte(yaml), 0o644); err != nil {
		return err
	}
	plan, err := pipelines.Load(context.Background(), path, config.OSEnv)
	if err != nil {
		return err
	}
	store, err := state.Open(statePath)
	if err != nil {
		return err
	}
	defer store.Close()
	r := result{Mode: mode}
	countCurrent := func() int {
		if format != "iceberg" {
			return 0
		}
		s, err := pipelines.OpenIceberg(context.Background(), plan, store.Path(), true)
		if err != nil {
			return 0 // no catalog yet: no table
		}
		defer s.Close()
		keys, _ := s.DataFileKeys(context.Background(), "leads_current")
		return len(keys)
	}
	r.Before = countCurrent()
	start := time.Now()
	sum, err := pipelines.Run(context.Background(), plan, store, pipelines.Options{})
	if err != nil {
		return err
	}
	r.Wall = time.Since(start).Seconds()
	r.RSSKB = peakRSSKB()
	r.CPU = cpuSeconds()
	r.After = countCurrent()
	r.Rows, r.Files, r.Ice = sum.Rows["leads"], len(sum.Files), sum.Iceberg
	for _, f := range sum.Files {
		r.Bytes += f.Bytes
	}
	return json.NewEncoder(os.Stdout).Encode(r)
}

// heapAtPeak writes a heap profile each time the heap in use reaches a new
// high (LEADPIPE_BENCH_HEAPPROFILE=file), to see what the peak is made of.
func heapAtPeak(path string) {
	var high uint64
	for range time.Tick(250 * time.Millisecond) {
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		if ms.HeapInuse > high+16<<20 {
			high = ms.HeapInuse
			if f, err := os.Create(path); err == nil {
				_ = pprof.WriteHeapProfile(f)
				f.Close()
			}
		}
	}
}

// cpuSeconds is the process's user and system CPU time: on a machine
// other work shares, a steadier measure of the work than wall time.
func cpuSeconds() float64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano()).Seconds()
}

func peakRSSKB() int64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, l := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(l, "VmHWM:"); ok {
			var kb int64
			fmt.Sscanf(strings.TrimSpace(v), "%d", &kb)
			return kb
		}
	}
	return 0
}
