package pipelines_test

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/leadpipe/leadpipe/pipelines"
	"github.com/leadpipe/leadpipe/sources/file"
)

// goodRow is a valid row of backfillPipeline's input.
func goodRow(i int) string {
	return fmt.Sprintf("Q%03d,First%d,Last%d,q%d@example.com.au,04%08d,Company %d,51824753556,20000,52,cash_flow", i, i, i, i, 20000000+i, i)
}

const leadsHeader = "ref,first,last,email,phone,company,abn,amount,weeks,reasons"

// TestEveryRowIsAccountedFor pushes CSVs malformed in every way seen, and
// checks for each that either the run stops before anything is sent, with
// an error naming the lines, or every record of the file ends in exactly
// one outcome: the summary's counts add up to the file's records, counted
// here independently (non-empty lines after the header, a quoted line
// break joining two).
func TestEveryRowIsAccountedFor(t *testing.T) {
	for _, tc := range []struct {
		name    string
		lines   []string // data lines
		records int      // the file's records; 0: the run must stop
		stop    string   // part of the error when it stops
	}{
		{name: "unbalanced quote (the reported case)", lines: []string{goodRow(1), goodRow(2), `Q003,Amy,Low,amy@example.com.au,0412345678,"Sydney,51824753556,20000,52,cash_flow`, goodRow(4)},
			stop: "lines 4 to 5 were read as one row"},
		{name: "unbalanced quote closed later", lines: []string{goodRow(1), `Q002,Amy,"Low,x@example.com.au,0412345678,Co,51824753556,20000,52,cash_flow`, `Q003,Ben",Lo,y@example.com.au,0412345679,Co,51824753556,20000,52,cash_flow`, goodRow(4)},
			stop: "lines 3 to 4 were read as one row"},
		{name: "bare quote", lines: []string{goodRow(1), `Q002,Am"y,Low,amy@example.com.au,0412345678,Co,51824753556,20000,52,cash_flow`, goodRow(3)}, records: 3},
		{name: "missing fields", lines: []string{goodRow(1), "Q002,Amy,Low", goodRow(3)}, records: 3},
		{name: "extra fields", lines: []string{goodRow(1), goodRow(2) + ",extra,more", goodRow(3)}, records: 3},
		{name: "blank lines and a quoted line break", lines: []string{goodRow(1), "", `Q002,"Amy` + "\n" + `Jane",Low,amy@example.com.au,0412345678,Co,51824753556,20000,52,cash_flow`, "", goodRow(3)}, records: 3},
		{name: "duplicate key", lines: []string{goodRow(1), goodRow(1), goodRow(2)}, records: 3},
		{name: "empty key", lines: []string{goodRow(1), strings.Replace(goodRow(2), "Q002", "", 1)}, records: 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newLumiEnv(t, 1)
			in := leadsHeader + "\n" + strings.Join(tc.lines, "\n") + "\n"
			if err := os.WriteFile(filepath.Join(e.dir, "leads.csv"), []byte(in), 0o644); err != nil {
				t.Fatal(err)
			}
			before := len(e.srv.Received())
			sum, err := e.run(e.pushPlan(2), pipelines.Options{})
			if tc.records == 0 {
				var me *file.MalformedError
				if !errors.As(err, &me) || !strings.Contains(err.Error(), tc.stop) || !strings.Contains(err.Error(), "nothing was sent") {
					t.Fatalf("error %v, want the run stopped with %q", err, tc.stop)
				}
				if n := len(e.srv.Received()) - before; n != 0 {
					t.Errorf("%d rows reached Lumi before the run stopped", n)
				}
				return
			}
			if err != nil && sum == nil {
				t.Fatalf("run: %v", err)
			}
			p := sum.Push
			outcomes := p.Submitted + p.Updated + p.SkippedDuplicate + p.Rejected + p.Failed + p.NeedsHuman
			if p.Total != tc.records || outcomes != p.Total {
				t.Errorf("%d records in the file; the summary says %d rows and its outcomes add up to %d: %+v", tc.records, p.Total, outcomes, p)
			}
			receipts := readCSV(t, p.Receipts)
			if len(receipts) != tc.records {
				t.Errorf("%d receipts for %d records", len(receipts), tc.records)
			}
		})
	}
}

// TestUndeclaredLatin1FailsBeforeSending pushes a Windows-1252 file with
// no encoding declared: the run fails before the first row is sent, naming
// the line and what to declare. Declared (or with encoding: auto), the
// names reach the vendor intact.
func TestUndeclaredLatin1FailsBeforeSending(t *testing.T) {
	e := newLumiEnv(t, 1)
	write := func(prefix string) {
		rows := []string{goodRow(1), strings.Replace(goodRow(2), "First2", "Zo\xe9", 1), goodRow(3)}
		for i := range rows {
			rows[i] = prefix + rows[i][1:]
		}
		os.WriteFile(filepath.Join(e.dir, "leads.csv"), []byte(leadsHeader+"\n"+strings.Join(rows, "\n")+"\n"), 0o644)
	}
	write("Q")
	before := len(e.srv.Received())
	_, err := e.run(e.pushPlan(2), pipelines.Options{})
	if !errors.Is(err, file.ErrNotUTF8) || !strings.Contains(err.Error(), "line 3 is not valid UTF-8") ||
		!strings.Contains(err.Error(), "encoding: windows-1252") || !strings.Contains(err.Error(), "nothing was sent") {
		t.Fatalf("error %v", err)
	}
	if n := len(e.srv.Received()) - before; n != 0 {
		t.Fatalf("%d rows reached Lumi", n)
	}
	for i, enc := range []string{"windows-1252", "auto"} {
		t.Run(enc, func(t *testing.T) {
			prefix := string(rune('S' + i))
			write(prefix)
			src := strings.Replace(backfillPipeline, "    path: leads.csv\n", "    path: leads.csv\n    encoding: "+enc+"\n", 1)
			plan, err := e.loadYAML("enc.yaml", fmt.Sprintf(src, 2), e.env)
			if err != nil {
				t.Fatal(err)
			}
			sum, err := e.run(plan, pipelines.Options{})
			if err != nil || sum.Push.Submitted != 3 {
				t.Fatalf("%v %+v", err, sum)
			}
			name := ""
			for _, s := range e.srv.Received() {
				if s.ExternalID == prefix+"002" {
					c, _ := s.Body["customer"].(map[string]any)
					name = fmt.Sprint(c["first_name"])
				}
			}
			if name != "Zoé" {
				t.Errorf("Lumi got the first name %q, want Zoé", name)
			}
		})
	}
}
