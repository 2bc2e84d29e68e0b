// Command push is the benchmark of issue 3: push N rows to the Lumi sandbox
// through the real engine, with the pipeline's rate limit and added
// latency at the vendor, and report the sustained rate against the limit
// and the duplicates the vendor received.
//
//	go run ./bench/push -n 10000 -rate 50 -latency 20ms
package main

import (
	"context"
	"flag"
	"fmt"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/leadpipe/leadpipe/config"
	_ "github.com/leadpipe/leadpipe/connectors/all"
	"github.com/leadpipe/leadpipe/connectors/lumi/lumitest"
	"github.com/leadpipe/leadpipe/connectors/sandbox"
	"github.com/leadpipe/leadpipe/pipelines"
	"github.com/leadpipe/leadpipe/pipelines/state"
	_ "github.com/leadpipe/leadpipe/sinks/storage/local"
	_ "github.com/leadpipe/leadpipe/sinks/storage/s3"
)

const pipeline = `name: bench-push
source:
  file:
    path: rows.csv
push:
  connector: lumi
  target: leads
  config:
    base_url: %s/v1
    username: %s
    password: %s
  key: [ref]
  fields:
    customer.first_name: first
    customer.email: email
    customer.phone: phone
    company.name: company
    company.abn: abn
    loan.requested_amount: amount
    loan.installments: weeks
  rate_limit: %g
  concurrency: %d
`

func main() {
	n := flag.Int("n", 10_000, "rows to push")
	limit := flag.Float64("rate", 50, "the pipeline's rate limit, requests per second")
	latency := flag.Duration("latency", 20*time.Millisecond, "latency the sandbox adds to every answer")
	conc := flag.Int("concurrency", 4, "the pipeline's concurrency")
	flag.Parse()
	if err := run(*n, *limit, *latency, *conc); err != nil {
		fmt.Fprintln(os.Stderr, "error:", err)
		os.Exit(1)
	}
}

func run(n int, limit float64, latency time.Duration, conc int) error {
	ctx := context.Background() // a benchmark program: the root of its runs
	srv := lumitest.New(sandbox.Options{Seed: 1, Size: -1})
	srv.Faults().SetLatency(latency)
	hs := httptest.NewServer(srv)
	defer hs.Close()
	dir, err := os.MkdirTemp("", "leadpipe-bench-push")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	var b strings.Builder
	b.WriteString("ref,first,email,phone,company,abn,amount,weeks\n")
	for i := range n {
		fmt.Fprintf(&b, "B%06d,Name%d,b%d@example.com.au,04%08d,Company %d,51824753556,\"%d,000\",52\n", i, i, i, 10000000+i, i, 5+i%290)
	}
	if err := os.WriteFile(filepath.Join(dir, "rows.csv"), []byte(b.String()), 0o644); err != nil {
		return err
	}
	path := filepath.Join(dir, "push.yaml")
	if err := os.WriteFile(path, []byte(fmt.Sprintf(pipeline, hs.URL, lumitest.Username, lumitest.Password, limit, conc)), 0o644); err != nil {
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
	dups, missing := 0, 0
	for i := range n {
		switch c := srv.CountByExternalID(fmt.Sprintf("B%06d", i)); {
		case c > 1:
			dups += c - 1
		case c == 0:
			missing++
		}
	}
	rate := float64(sum.Push.Submitted) / el.Seconds()
	fmt.Printf("pushed %d rows in %s: %.1f rows/s sustained against a limit of %g/s (%.1f%%), latency %s, concurrency %d\n",
		sum.Push.Submitted, el.Round(time.Millisecond), rate, limit, 100*rate/limit, latency, conc)
	fmt.Printf("vendor received %d leads: %d duplicates, %d missing; %d requests, %d retries, %d rate-limited\n",
		len(srv.Received()), dups, missing, sum.HTTP.Requests, sum.HTTP.Retries, sum.HTTP.RateLimited)
	return nil
}
