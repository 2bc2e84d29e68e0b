package pipelines_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awss3 "github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/leadpipe/leadpipe/pipelines"
	"github.com/leadpipe/leadpipe/pipelines/state"
	"github.com/leadpipe/leadpipe/sinks"
	"github.com/leadpipe/leadpipe/sinks/storage"
	"github.com/leadpipe/leadpipe/sinks/storage/s3/s3test"
)

// s3Lake is a lumiEnv whose lake is s3://bucket/lake on a real
// S3-compatible server (versitygw), reached through the environment as a
// user would reach it: AWS_ENDPOINT_URL_S3 and the credential chain.
type s3Lake struct {
	*lumiEnv
	s3srv  *s3test.Server
	bucket string
	sto    storage.Storage // the lake root
}

func newS3Lake(t *testing.T, size int) *s3Lake {
	t.Helper()
	srv := s3test.Start(t)
	srv.SetEnv(t)
	l := &s3Lake{lumiEnv: newLumiEnv(t, size), s3srv: srv, bucket: srv.NewBucket(t)}
	l.lake = "s3://" + l.bucket + "/lake"
	sto, err := storage.Open(context.Background(), l.lake, storage.Options{})
	if err != nil {
		t.Fatal(err)
	}
	l.sto = sto
	return l
}

// keys lists the lake's objects.
func (l *s3Lake) keys() []string {
	l.t.Helper()
	objs, err := l.sto.List(context.Background(), "")
	if err != nil {
		l.t.Fatal(err)
	}
	var out []string
	for _, o := range objs {
		out = append(out, o.Key)
	}
	return out
}

// mirror copies the lake to a local directory, for the Parquet readers of
// laketest.
func (l *s3Lake) mirror() string {
	l.t.Helper()
	dir := l.t.TempDir()
	for _, k := range l.keys() {
		r, err := l.sto.Open(context.Background(), k)
		if err != nil {
			l.t.Fatal(err)
		}
		b, err := io.ReadAll(r)
		r.Close()
		if err != nil {
			l.t.Fatal(err)
		}
		p := filepath.Join(dir, filepath.FromSlash(k))
		os.MkdirAll(filepath.Dir(p), 0o755)
		if err := os.WriteFile(p, b, 0o644); err != nil {
			l.t.Fatal(err)
		}
	}
	return dir
}

// check runs lumiEnv.checkLake on a mirror of the S3 lake.
func (l *s3Lake) check(dupFree bool) {
	l.t.Helper()
	url := l.lake
	l.lake = l.mirror()
	defer func() { l.lake = url }()
	l.checkLake(dupFree)
}

// committedView checks what a reader who trusts only manifests sees: every
// file a manifest lists exists, and every published data file belongs to a
// manifest. It returns the published data files outside any manifest.
func (l *s3Lake) committedView() (orphans []string) {
	l.t.Helper()
	listed := map[string]bool{}
	for _, k := range l.keys() {
		if !strings.HasPrefix(k, "_runs/") {
			continue
		}
		r, err := l.sto.Open(context.Background(), k)
		if err != nil {
			l.t.Fatal(err)
		}
		var m sinks.Manifest
		err = json.NewDecoder(r).Decode(&m)
		r.Close()
		if err != nil {
			l.t.Fatalf("manifest %s: %v", k, err)
		}
		for _, f := range m.Files {
			listed[f.Key] = true
			if info, err := l.sto.Stat(context.Background(), f.Key); err != nil || info.Size != f.Bytes {
				l.t.Errorf("manifest %s lists %s (%d bytes), which is %+v, %v", k, f.Key, f.Bytes, info, err)
			}
		}
	}
	for _, k := range l.keys() {
		base := k[strings.LastIndex(k, "/")+1:]
		// _runs/ and _schema/ hold the lake's own records, not data.
		if strings.HasPrefix(k, "_runs/") || strings.HasPrefix(k, "_schema/") || strings.HasPrefix(base, "_") {
			continue
		}
		if !listed[k] {
			orphans = append(orphans, k)
		}
	}
	return orphans
}

func (l *s3Lake) unfinishedUploads() []string {
	l.t.Helper()
	out, err := l.s3srv.Client().ListMultipartUploads(context.Background(), &awss3.ListMultipartUploadsInput{Bucket: aws.String(l.bucket)})
	if err != nil {
		l.t.Fatal(err)
	}
	var keys []string
	for _, u := range out.Uploads {
		keys = append(keys, aws.ToString(u.Key))
	}
	return keys
}

// The pull commit protocol on S3: a run that dies at any point of it is
// rolled back or finished by the next run, which leaves no staged object,
// no unfinished upload, no duplicate and no gap; and afterwards every data
// file under the prefix belongs to a committed run's manifest.
func TestPullToS3SurvivesCrashesIntegration(t *testing.T) {
	for _, point := range []string{pipelines.PointAfterData, pipelines.PointAfterPublish, pipelines.PointAfterManifest} {
		t.Run(point, func(t *testing.T) {
			l := newS3Lake(t, 90)
			plan := l.plan("parquet")
			first, err := l.run(plan, pipelines.Options{})
			if err != nil {
				t.Fatal(err)
			}
			if first.Sink != l.lake || len(first.Files) == 0 {
				t.Fatalf("first run: sink %q, files %v", first.Sink, first.Files)
			}
			if o := l.committedView(); len(o) != 0 {
				t.Fatalf("files outside any manifest after a clean run: %v", o)
			}
			l.check(true)

			// The vendor moves on, and the next run dies at the point.
			l.Advance(time.Hour)
			var moved []string
			for _, lead := range l.srv.Leads() {
				if lead.Status == "WAITING_FOR_CALL" && len(moved) < 3 {
					moved = append(moved, lead.ID)
				}
			}
			for _, id := range moved {
				if err := l.srv.SetStatus(id, "PROCESSING"); err != nil {
					t.Fatal(err)
				}
			}
			l.Advance(time.Minute)
			if _, err := l.run(plan, pipelines.Options{CrashAt: crashAt(point)}); !errors.Is(err, pipelines.ErrCrashed) {
				t.Fatalf("want the simulated crash, got %v", err)
			}
			// What the dead run left: staged objects (after-data), published
			// files without a manifest (after-publish), or a full run whose
			// cursor did not move (after-manifest).
			var staged int
			for _, k := range l.keys() {
				if strings.HasSuffix(k, ".inprogress") {
					staged++
				}
			}
			orphans := l.committedView()
			switch point {
			case pipelines.PointAfterData:
				if staged == 0 || len(orphans) != 0 {
					t.Errorf("after-data crash left %d staged objects and published %v", staged, orphans)
				}
			case pipelines.PointAfterPublish:
				if staged != 0 || len(orphans) == 0 {
					t.Errorf("after-publish crash left %d staged objects and published %v", staged, orphans)
				}
			case pipelines.PointAfterManifest:
				if staged != 0 || len(orphans) != 0 {
					t.Errorf("after-manifest crash left %d staged objects and files outside manifests %v", staged, orphans)
				}
			}

			// More changes while the process is down; then the next run.
			l.Advance(time.Hour)
			if err := l.srv.SetStatus(moved[0], "FUNDED"); err != nil {
				t.Fatal(err)
			}
			l.Advance(time.Minute)
			sum, err := l.run(plan, pipelines.Options{})
			if err != nil {
				t.Fatalf("run after the crash: %v", err)
			}
			want := "rolled back"
			if point == pipelines.PointAfterManifest {
				want = "finished the commit"
			}
			if len(sum.Recovered) != 1 || !strings.Contains(sum.Recovered[0], want) {
				t.Errorf("recovered = %q, want one note saying %q", sum.Recovered, want)
			}
			for _, k := range l.keys() {
				if strings.Contains(k, ".inprogress") {
					t.Errorf("staged object left behind: %s", k)
				}
			}
			if u := l.unfinishedUploads(); len(u) != 0 {
				t.Errorf("unfinished multipart uploads left: %v", u)
			}
			if o := l.committedView(); len(o) != 0 {
				t.Errorf("published files outside any committed run's manifest: %v", o)
			}
			l.check(false)
			runs, _ := l.store.Runs(context.Background(), state.RunFilter{Pipeline: "lumi-test"})
			for _, r := range runs {
				if r.Status == state.RunRunning || r.Status == state.RunCommitting {
					t.Errorf("run %s left %s in the journal", r.ID, r.Status)
				}
			}
		})
	}
}

const s3BackfillPipeline = `name: backfill-s3
source:
  file:
    path: ${INPUT}
push:
  connector: lumi
  target: leads
  config:
    base_url: ${LUMI_BASE_URL}
    username: ${LUMI_USERNAME}
    password: ${LUMI_PASSWORD}
    rate_limit: 1000
  key: [ref]
  fields:
    customer.first_name: first
    customer.last_name: last
    customer.email: email
    customer.phone: phone
    company.name: company
    company.abn: abn
    loan.requested_amount: amount
    loan.installments: weeks
    loan.reason_for_loan: reasons
  receipts: ${OUT}/receipts
  rejects: ${OUT}/rejects
  concurrency: 4
`

// A partner's backfill CSV is read straight from S3 (streamed by the file
// source through the storage interface), and the receipts and rejects are
// written back to S3.
func TestBackfillCSVReadFromS3Integration(t *testing.T) {
	l := newS3Lake(t, 5)
	l.writeLeadsCSV(30,
		`BAD1,Amy,Low,amy@example.com.au,0412345678,Low Pty,51824753556,"1,000",52,cash_flow`)
	local := filepath.Join(l.dir, "leads.csv")
	data, err := os.ReadFile(local)
	if err != nil {
		t.Fatal(err)
	}
	os.Remove(local) // the only copy is in the bucket
	in, err := storage.Open(context.Background(), "s3://"+l.bucket+"/partners/acme", storage.Options{})
	if err != nil {
		t.Fatal(err)
	}
	w, err := in.Create(context.Background(), "2026-11/leads.csv")
	if err != nil {
		t.Fatal(err)
	}
	w.Write(data)
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}

	env := func(name string) (string, bool) {
		switch name {
		case "INPUT":
			return "s3://" + l.bucket + "/partners/acme/2026-11/leads.csv", true
		case "OUT":
			return "s3://" + l.bucket + "/partners/acme/out", true
		}
		return l.env(name)
	}
	path := filepath.Join(l.dir, "backfill.yaml")
	if err := os.WriteFile(path, []byte(s3BackfillPipeline), 0o644); err != nil {
		t.Fatal(err)
	}
	plan, err := pipelines.Load(t.Context(), path, env)
	if err != nil {
		t.Fatal(err)
	}
	sum, err := l.run(plan, pipelines.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if p := sum.Push; p.Total != 31 || p.Submitted != 30 || p.Rejected != 1 {
		t.Fatalf("push from S3: %+v", p)
	}
	l.exactlyOnce(30)
	wantReceipts := "s3://" + l.bucket + "/partners/acme/out/receipts/"
	if !strings.HasPrefix(sum.Push.Receipts, wantReceipts) || !strings.HasPrefix(sum.Push.RejectsFile, "s3://"+l.bucket+"/partners/acme/out/rejects/") {
		t.Fatalf("receipts %q and rejects %q are not on S3", sum.Push.Receipts, sum.Push.RejectsFile)
	}
	receipts := readS3CSV(t, sum.Push.Receipts)
	if len(receipts) != 31 || receipts[0]["outcome"] != "submitted" || receipts[0]["key"] != "R00001" || receipts[0]["vendor_id"] == "" {
		t.Fatalf("%d receipts, first %v", len(receipts), receipts[0])
	}
	rejects := readS3CSV(t, sum.Push.RejectsFile)
	if len(rejects) != 1 || rejects[0]["row"] != "31" || rejects[0]["field"] != "loan.requested_amount" {
		t.Errorf("rejects %v", rejects)
	}
	entries, _ := os.ReadDir(l.dir)
	for _, e := range entries {
		if strings.HasSuffix(e.Name(), ".csv") {
			t.Errorf("a local copy of the input appeared: %s", e.Name())
		}
	}

	// The rerun reads the file from S3 again and sends nothing.
	again, err := l.run(plan, pipelines.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if again.Push.Submitted != 0 || again.Push.SkippedDuplicate != 30 {
		t.Errorf("rerun: %+v", again.Push)
	}
	l.exactlyOnce(30)
}

// readS3CSV reads a CSV object by its s3:// URL.
func readS3CSV(t *testing.T, url string) []map[string]string {
	t.Helper()
	dir, key := storage.Split(url)
	st, err := storage.Open(context.Background(), dir, storage.Options{})
	if err != nil {
		t.Fatal(err)
	}
	r, err := st.Open(context.Background(), key)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	b, _ := io.ReadAll(r)
	recs, err := csv.NewReader(bytes.NewReader(b)).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	var out []map[string]string
	for _, rec := range recs[1:] {
		m := map[string]string{}
		for i, h := range recs[0] {
			m[h] = rec[i]
		}
		out = append(out, m)
	}
	return out
}
