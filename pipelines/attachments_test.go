package pipelines_test

import (
	"context"
	"fmt"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/leadpipe/leadpipe/connectors/bizcap/bizcaptest"
	"github.com/leadpipe/leadpipe/connectors/sandbox"
	"github.com/leadpipe/leadpipe/pipelines"
	"github.com/leadpipe/leadpipe/pipelines/state"
)

const bizcapAttachPipeline = `name: attach-test
source:
  file:
    path: leads.csv
push:
  connector: bizcap
  target: leads
  config:
    base_url: ${BIZCAP_BASE_URL}
    token: ${BIZCAP_TOKEN}
    region: AU
    rate_limit: 1000
  key: [ref]
  fields:
    firstName: first
    lastName: last
    companyName: company
    phone: phone
    email: email
    amountRequested: amount
    loanPurpose: purpose
    attachments.bank_statements: statement
  attachments_dir: %s
  receipts: out/receipts
  rejects: out/rejects
`

// TestHostileAttachmentCellsAreRejected puts in a push's file column every
// way a CSV cell has been seen to reach a file it must not: absolute paths,
// "..", file://, /proc, the state store, a link out of the directory, a
// FIFO, a URL of another store. Each row is rejected with its row, line and
// column before anything is sent, and the vendor's log shows that only the
// one good row's lead and file arrived: no byte of any other file left the
// machine. With the project itself as attachments_dir, the state store is
// still refused, however it is named.
func TestHostileAttachmentCellsAreRejected(t *testing.T) {
	srv := bizcaptest.New(sandbox.Options{Seed: 3, Size: 2})
	hs := httptest.NewServer(srv)
	defer hs.Close()
	for k, v := range srv.Env(hs.URL) {
		t.Setenv(k, v)
	}
	t.Setenv("LEADPIPE_SECRET_CANARY", "canary-4f1e9b") // /proc/self/environ would carry it

	dir := t.TempDir()
	docs := filepath.Join(dir, "docs")
	os.MkdirAll(docs, 0o755)
	good := []byte("%PDF-1.4 the one statement that may be sent")
	os.WriteFile(filepath.Join(docs, "ok.pdf"), good, 0o644)
	os.Symlink("/etc/passwd", filepath.Join(docs, "passwd.pdf"))
	os.Symlink("../.leadpipe/state.db", filepath.Join(docs, "state.pdf"))
	if err := syscall.Mkfifo(filepath.Join(docs, "pipe.pdf"), 0o644); err != nil {
		t.Fatal(err)
	}
	statePath := filepath.Join(dir, ".leadpipe", "state.db")
	st, err := state.Open(statePath)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if _, _, err := st.Salt(context.Background(), "pii"); err != nil { // the salt the attack wants
		t.Fatal(err)
	}
	os.Link(statePath, filepath.Join(dir, "innocent.pdf")) // a hard link to the state, under the project

	attacks := []struct{ cell, reason string }{
		{"/etc/passwd", "an absolute path"},
		{"../../../../etc/hostname", "leaves attachments_dir"},
		{"file:///etc/passwd", "file: URLs are not accepted"},
		{"/proc/self/environ", "an absolute path"},
		{".leadpipe/state.db", "state directory"},
		{"passwd.pdf", "leads out of attachments_dir"},
		{"state.pdf", "leads out of attachments_dir"},
		{"pipe.pdf", "not a regular file (a FIFO)"},
		{"s3://other-bucket/statement.pdf", "is local"},
		{"/dev/zero", "an absolute path"},
	}
	for _, tc := range []struct {
		name, attachDir string
		extra           []struct{ cell, reason string }
	}{
		{name: "docs", attachDir: "docs"},
		// The whole project: .leadpipe and the state store are under it.
		{name: "project", attachDir: ".", extra: []struct{ cell, reason string }{
			{"innocent.pdf", "state store"},
			{"./.leadpipe/state.db-wal", "state directory"},
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv.ResetReceived()
			before := len(srv.Attachments())
			cases := append(append([]struct{ cell, reason string }{}, attacks...), tc.extra...)
			okCell := "ok.pdf"
			if tc.attachDir == "." {
				// From the project's root the files are under docs/; the
				// link to the state now stays inside the directory, and is
				// refused as the state store.
				okCell = "docs/ok.pdf"
				for i, c := range cases {
					switch c.cell {
					case "passwd.pdf", "pipe.pdf":
						cases[i].cell = "docs/" + c.cell
					case "state.pdf":
						cases[i] = struct{ cell, reason string }{"docs/state.pdf", "state store"}
					}
				}
			}
			var in strings.Builder
			in.WriteString("ref,first,last,company,phone,email,amount,purpose,statement\n")
			row := func(i int, cell string) {
				fmt.Fprintf(&in, "%s-%02d,Amy,Low,Low Pty Ltd,+61412345678,amy%d@example.com.au,20000,Working Capital / Cashflow,%s\n", tc.name, i, i, cell)
			}
			row(0, okCell)
			for i, a := range cases {
				row(i+1, a.cell)
			}
			os.WriteFile(filepath.Join(dir, "leads.csv"), []byte(in.String()), 0o644)
			pipeline := filepath.Join(dir, "push.yaml")
			os.WriteFile(pipeline, []byte(fmt.Sprintf(bizcapAttachPipeline, tc.attachDir)), 0o644)
			plan, err := pipelines.Load(t.Context(), pipeline, nil)
			if err != nil {
				t.Fatal(err)
			}
			// The run uses the project's state store, which the engine
			// forbids even when it is under attachments_dir.
			sum, err := pipelines.Run(context.Background(), plan, st, pipelines.Options{})
			if sum == nil {
				t.Fatalf("run: %v", err)
			}
			p := sum.Push
			if p.Submitted != 1 || p.Rejected != len(cases) || p.Total != len(cases)+1 {
				t.Fatalf("push %+v (err %v), want 1 submitted and %d rejected", p, err, len(cases))
			}
			rejects := readCSV(t, p.RejectsFile)
			if len(rejects) != len(cases) {
				t.Fatalf("%d rejects for %d hostile rows: %v", len(rejects), len(cases), rejects)
			}
			for i, a := range cases {
				r := rejects[i]
				wantRow, wantLine := fmt.Sprint(i+2), fmt.Sprint(i+3) // row 1 is the good one; line 1 the header
				if r["row"] != wantRow || r["line"] != wantLine || r["column"] != "statement" || r["field"] != "attachments.bank_statements" ||
					!strings.Contains(r["reason"], a.reason) {
					t.Errorf("%q: reject %v, want row %s, line %s, column statement and a reason saying %q", a.cell, r, wantRow, wantLine, a.reason)
				}
			}
			// The vendor's log: one lead created, one file uploaded, and it
			// is the good one.
			var creates, uploads int
			for _, sub := range srv.Received() {
				switch sub.Kind {
				case bizcaptest.KindCreateLead:
					creates++
					f, _ := sub.Body["fields"].(map[string]any)
					if ref := fmt.Sprint(f["partnerLeadReferenceId"]); ref != tc.name+"-00" {
						t.Errorf("a hostile row reached Bizcap: %s", ref)
					}
				case bizcaptest.KindUploadAttachments:
					uploads++
					if len(sub.Files) != 1 || sub.Files[0].FileName != "ok.pdf" || sub.Files[0].Size != int64(len(good)) {
						t.Errorf("upload %+v", sub.Files)
					}
				}
			}
			if creates != 1 || uploads != 1 {
				t.Errorf("Bizcap received %d creates and %d uploads, want 1 and 1", creates, uploads)
			}
			atts := srv.Attachments()[before:]
			if len(atts) != 1 || string(atts[0].Content) != string(good) {
				t.Errorf("attachments stored at Bizcap: %d", len(atts))
			}
			for _, a := range atts {
				for _, secret := range []string{"root:", "canary-4f1e9b", "SQLite format", bizcaptest.Token} {
					if strings.Contains(string(a.Content), secret) {
						t.Errorf("an uploaded file holds %q", secret)
					}
				}
			}
		})
	}
}

// A pipeline that maps a file field without declaring where files may come
// from is invalid, with the line of the field.
func TestFileFieldNeedsAttachmentsDir(t *testing.T) {
	dir := t.TempDir()
	src := strings.Replace(bizcapAttachPipeline, "  attachments_dir: %s\n", "", 1)
	p := filepath.Join(dir, "push.yaml")
	os.WriteFile(p, []byte(src), 0o644)
	os.WriteFile(filepath.Join(dir, "leads.csv"), []byte("ref\n"), 0o644)
	_, err := pipelines.Load(t.Context(), p, func(k string) (string, bool) { return "https://example.com/api/v1", true })
	if err == nil || !strings.Contains(err.Error(), "push.yaml:22: push.fields.attachments.bank_statements: attachments.bank_statements names a file to upload: declare push.attachments_dir") {
		t.Fatalf("error %v", err)
	}
	bad := strings.Replace(bizcapAttachPipeline, "%s", "file:///etc", 1)
	os.WriteFile(p, []byte(bad), 0o644)
	if _, err := pipelines.Load(t.Context(), p, func(k string) (string, bool) { return "https://example.com/api/v1", true }); err == nil || !strings.Contains(err.Error(), "push.attachments_dir") {
		t.Fatalf("file:// attachments_dir: %v", err)
	}
}
