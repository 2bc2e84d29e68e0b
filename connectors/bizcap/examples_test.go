package bizcap_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/leadpipe/leadpipe/config"
	"github.com/leadpipe/leadpipe/connectors/bizcap/bizcaptest"
	"github.com/leadpipe/leadpipe/pipelines"
	"github.com/leadpipe/leadpipe/pipelines/state"
	_ "github.com/leadpipe/leadpipe/sinks/storage/local"
	_ "github.com/leadpipe/leadpipe/sinks/storage/s3"
)

// The shipped example pipelines and the connector's sample, run against the
// sandbox through the real engine.

func (e *env) pipelineEnv(lake string) config.LookupEnv {
	vars := map[string]string{
		bizcaptest.EnvBaseURL: e.baseURL(),
		bizcaptest.EnvToken:   bizcaptest.Token,
		"LEADPIPE_LAKE":       lake,
	}
	return func(name string) (string, bool) {
		v, ok := vars[name]
		return v, ok
	}
}

func (e *env) store(t *testing.T, dir string) *state.Store {
	t.Helper()
	st, err := state.Open(filepath.Join(dir, "state.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	st.SetClock(e.Now)
	return st
}

func TestExamplePullAndSample(t *testing.T) {
	spec := filepath.Join(t.TempDir(), "sample.yaml")
	sample, err := os.ReadFile("sample.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(spec, sample, 0o644); err != nil {
		t.Fatal(err)
	}
	for _, path := range []string{"../../examples/bizcap.yaml", spec} {
		t.Run(filepath.Base(path), func(t *testing.T) {
			e := start(t, 120)
			dir := t.TempDir()
			plan, err := pipelines.Load(t.Context(), path, e.pipelineEnv(filepath.Join(dir, "lake")))
			if err != nil {
				t.Fatalf("load: %v", err)
			}
			sum, err := pipelines.Run(context.Background(), plan, e.store(t, dir), pipelines.Options{Now: e.Now})
			if err != nil {
				t.Fatalf("run: %v", err)
			}
			if sum.Rows["leads"] != 120 || sum.Rows["loans"] != int64(len(e.srv.Deals())) {
				t.Errorf("rows %v, want 120 leads and %d loans", sum.Rows, len(e.srv.Deals()))
			}
		})
	}
}

func TestExampleBackfill(t *testing.T) {
	e := start(t, 20)
	dir := t.TempDir()
	lake := filepath.Join(dir, "lake")
	plan, err := pipelines.Load(t.Context(), "../../examples/backfill-bizcap.yaml", e.pipelineEnv(lake))
	if err != nil {
		t.Fatalf("load: %v", err)
	}
	st := e.store(t, dir)
	sum, err := pipelines.Run(context.Background(), plan, st, pipelines.Options{Now: e.Now})
	if err != nil {
		t.Fatalf("run: %v", err)
	}
	p := sum.Push
	if p.Total != 13 || p.Submitted != 6 || p.Rejected != 7 || p.Failed != 0 {
		t.Errorf("push summary %+v, want 6 submitted and 7 rejected of 13", p)
	}
	// BZ-1001's bank statement, from the example's attachments_dir, was
	// uploaded; nothing else was.
	atts := e.srv.Attachments()
	if len(atts) != 1 || atts[0].Fields.FileName != "BZ-1001-march.pdf" || atts[0].Fields.Type != "Bank Statements" ||
		!bytes.HasPrefix(atts[0].Content, []byte("%PDF-1.4")) {
		t.Errorf("attachments uploaded: %+v", atts)
	}
	// Each good row reached Bizcap once, with its key as the reference.
	refs := map[string]int{}
	for _, l := range e.srv.Leads()[20:] {
		refs[str(l.Fields.PartnerLeadReferenceID)]++
	}
	for _, ref := range []string{"BZ-1001", "BZ-1002", "BZ-1003", "BZ-1004", "BZ-1005", "BZ-1006"} {
		if refs[ref] != 1 {
			t.Errorf("%s reached Bizcap %d times", ref, refs[ref])
		}
	}
	if len(refs) != 6 {
		t.Errorf("leads created: %v", refs)
	}
	// The rejects file names each bad row and why.
	rejects := readRejects(t, p.RejectsFile)
	for row, want := range map[string]string{
		"7":  "separate fields",
		"8":  "international format",
		"9":  "Tax Debt",
		"10": "not a number",
		"11": "ABN check digits",
		"12": "Call Both",
		"13": "leaves attachments_dir",
	} {
		if !strings.Contains(rejects[row], want) {
			t.Errorf("row %s: reject %q, want it to say %q", row, rejects[row], want)
		}
	}
	if !strings.Contains(rejects["12"], "Invoice Finance") {
		t.Errorf("row 12 lists only %q", rejects["12"])
	}
	// A rerun sends nothing.
	again, err := pipelines.Run(context.Background(), plan, st, pipelines.Options{Now: e.Now})
	if err != nil {
		t.Fatal(err)
	}
	if again.Push.Submitted != 0 || again.Push.SkippedDuplicate != 6 {
		t.Errorf("rerun %+v", again.Push)
	}
	if n := e.srv.AcceptedCount(bizcaptest.KindCreateLead); n != 6 {
		t.Errorf("%d leads created over two runs, want 6", n)
	}
}

// readRejects returns the reasons of a rejects CSV by row.
func readRejects(t *testing.T, loc string) map[string]string {
	t.Helper()
	f, err := os.Open(strings.TrimPrefix(loc, "file://"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	recs, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	col := map[string]int{}
	for i, h := range recs[0] {
		col[h] = i
	}
	out := map[string][]string{}
	for _, r := range recs[1:] {
		out[r[col["row"]]] = append(out[r[col["row"]]], r[col["field"]]+": "+r[col["reason"]])
	}
	flat := map[string]string{}
	for row, rs := range out {
		sort.Strings(rs)
		flat[row] = strings.Join(rs, "; ")
	}
	return flat
}
