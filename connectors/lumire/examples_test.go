package lumire_test

import (
	"context"
	"encoding/csv"
	"errors"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/leadpipe/leadpipe/config"
	"github.com/leadpipe/leadpipe/connectors"
	"github.com/leadpipe/leadpipe/connectors/connectortest"
	"github.com/leadpipe/leadpipe/connectors/lumire"
	"github.com/leadpipe/leadpipe/connectors/lumire/lumiretest"
	"github.com/leadpipe/leadpipe/connectors/sandbox"
	"github.com/leadpipe/leadpipe/schema"
)

const examplesDir = "../../examples"

// demoEnv starts the sandbox as `leadpipe sandbox` does (seed 1, default
// size) and returns the environment the example pipelines read.
func demoEnv(t *testing.T) (*env, config.LookupEnv) {
	t.Helper()
	e := &env{Clock: sandbox.NewClock(lumiretest.Anchor.Add(24 * time.Hour))}
	e.srv = lumiretest.New(sandbox.Options{Seed: 1, Now: e.Now})
	e.http = httptest.NewServer(e.srv)
	t.Cleanup(e.http.Close)
	vars := e.srv.Env(e.http.URL)
	vars["LEADPIPE_LAKE"] = t.TempDir()
	return e, func(name string) (string, bool) { v, ok := vars[name]; return v, ok }
}

// load parses an example pipeline and decodes its lumire config, failing on
// any problem.
func load(t *testing.T, name string, lookup config.LookupEnv) (*config.File, any) {
	t.Helper()
	path := filepath.Join(examplesDir, name)
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	f := config.Parse(path, data, lookup)
	spec, _ := connectors.Lookup("lumire")
	cfg := spec.NewConfig()
	p := f.Pipeline
	switch {
	case p.Source.Connector == "lumire":
		f.V.Decode("source.config", &p.Source.Config, cfg)
	case p.Push != nil && p.Push.Connector == "lumire":
		f.V.Decode("push.config", &p.Push.Config, cfg)
	default:
		t.Fatalf("%s uses no lumire connector", name)
	}
	if err := f.Err(); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	cfg.(*lumire.Config).RateLimit = 1000 // the examples' gentle default would make the test wait
	return f, cfg
}

func TestSampleIsAValidPipeline(t *testing.T) {
	spec, _ := connectors.Lookup("lumire")
	vars := map[string]string{"LUMIRE_EMAIL": "a@b.test", "LUMIRE_PASSWORD": "p", "LUMIRE_TENANT": "t"}
	f := config.Parse("sample.yaml", spec.Sample, func(n string) (string, bool) { v, ok := vars[n]; return v, ok })
	cfg := spec.NewConfig()
	f.V.Decode("source.config", &f.Pipeline.Source.Config, cfg)
	if err := f.Err(); err != nil {
		t.Fatalf("sample.yaml: %v", err)
	}
	if c := cfg.(*lumire.Config); c.BaseURL != lumire.DefaultBaseURL || c.Auth != lumire.AuthSession {
		t.Errorf("sample config %+v", c)
	}
	readme, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(readme), strings.TrimSpace(string(spec.Sample))) {
		t.Error("README.md does not quote sample.yaml as it is")
	}
}

func TestPullExampleReadsTheSandbox(t *testing.T) {
	e, lookup := demoEnv(t)
	f, cfg := load(t, "lumire.yaml", lookup)
	res := connectortest.Read(t, "lumire", cfg, &connectors.ReadRequest{Streams: f.Pipeline.Source.Streams, Now: e.Now()})
	if res.Err != nil {
		t.Fatal(res.Err)
	}
	if len(res.Batch.Leads) != lumiretest.DefaultSize || len(res.Batch.Events) != len(e.srv.Activities()) || len(res.Batch.Payments) != e.payments() {
		t.Errorf("read %d leads, %d events, %d payments", len(res.Batch.Leads), len(res.Batch.Events), len(res.Batch.Payments))
	}
}

// mapRows turns the example CSV into records the way the push mapping does
// for these columns: a column name or a {value: ...}; numbers lose their
// thousands separators, integers are parsed, empty cells are left out.
func mapRows(t *testing.T, f *config.File, fields []connectors.Field) ([]connectors.Record, []string) {
	t.Helper()
	in, err := os.Open(f.Resolve(f.Pipeline.Source.File.Path))
	if err != nil {
		t.Fatal(err)
	}
	defer in.Close()
	rows, err := csv.NewReader(in).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	header := rows[0]
	col := map[string]int{}
	for i, h := range header {
		col[h] = i
	}
	types := map[string]connectors.FieldType{}
	for _, fd := range fields {
		types[fd.Name] = fd.Type
	}
	node := f.Pipeline.Push.Fields
	for _, k := range f.Pipeline.Push.Key {
		if _, ok := col[k]; !ok {
			t.Fatalf("key column %q is not in the CSV", k)
		}
	}
	var recs []connectors.Record
	var keys []string
	for r, row := range rows[1:] {
		rec := connectors.Record{Row: r + 2, Fields: map[string]any{}}
		for i := 0; i+1 < len(node.Content); i += 2 {
			name, src := node.Content[i].Value, node.Content[i+1]
			typ, ok := types[name]
			if !ok {
				t.Fatalf("%q is not a field of the target", name)
			}
			var text string
			switch src.Kind {
			case yaml.ScalarNode:
				c, ok := col[src.Value]
				if !ok {
					t.Fatalf("field %s maps column %q, not in the CSV", name, src.Value)
				}
				text = row[c]
			case yaml.MappingNode:
				var v struct{ Value string }
				if err := src.Decode(&v); err != nil {
					t.Fatal(err)
				}
				text = v.Value
			}
			if text = strings.TrimSpace(text); text == "" {
				continue
			}
			switch typ {
			case connectors.TypeNumber:
				rec.Fields[name] = connectors.Number(strings.ReplaceAll(text, ",", ""))
			case connectors.TypeInteger:
				n, err := strconv.ParseInt(text, 10, 64)
				if err != nil {
					t.Fatalf("row %d %s: %v", rec.Row, name, err)
				}
				rec.Fields[name] = n
			default:
				rec.Fields[name] = text
			}
		}
		recs = append(recs, rec)
		keys = append(keys, row[col[f.Pipeline.Push.Key[0]]])
	}
	return recs, keys
}

// TestPushExamplesSendTheGoodRowsAndRejectTheBad runs each push example's
// rows through its target against the sandbox: the good rows are created
// once, the bad ones are stopped by validation or refused by the vendor,
// each with a reason.
func TestPushExamplesSendTheGoodRowsAndRejectTheBad(t *testing.T) {
	for _, tc := range []struct {
		file                                string
		sent, invalid, vendorRejected       int
		route                               string
		wantInvalidFields, wantVendorFields []string
	}{
		{"backfill-lumire.yaml", 6, 6, 0, lumiretest.RouteCreateLead,
			[]string{"email", "email", "score", "phone", "country", "metadata"}, nil},
		{"push-lumire-transactions.yaml", 6, 5, 2, lumiretest.RouteCreateTransaction,
			[]string{"amount", "kind", "amount", "currency", "traderId"}, []string{"traderId", "accountId"}},
	} {
		t.Run(tc.file, func(t *testing.T) {
			e, lookup := demoEnv(t)
			f, cfg := load(t, tc.file, lookup)
			spec, _ := connectors.Lookup("lumire")
			conn, err := spec.New(cfg, connectors.Env{Unknowns: &schema.Unknowns{}})
			if err != nil {
				t.Fatal(err)
			}
			defer connectors.CloseQuietly(conn)
			tg, err := conn.(connectors.Pusher).Target(t.Context(), f.Pipeline.Push.Target)
			if err != nil {
				t.Fatal(err)
			}
			recs, keys := mapRows(t, f, tg.Fields())
			var sent, invalid, rejected int
			var invalidFields, vendorFields []string
			for i, rec := range recs {
				if errs := tg.Validate(t.Context(), rec); len(errs) > 0 {
					invalid++
					for _, fe := range errs {
						if fe.Msg == "" {
							t.Errorf("row %d: a problem without a reason", rec.Row)
						}
						invalidFields = append(invalidFields, fe.Field)
					}
					continue
				}
				_, err := tg.Send(context.Background(), rec, keys[i])
				var rej *connectors.RejectedError
				switch {
				case errors.As(err, &rej):
					rejected++
					vendorFields = append(vendorFields, rej.Field)
				case err != nil:
					t.Fatalf("row %d: %v", rec.Row, err)
				default:
					sent++
				}
			}
			if sent != tc.sent || invalid != tc.invalid || rejected != tc.vendorRejected {
				t.Errorf("%d sent, %d invalid, %d rejected by the vendor; want %d, %d, %d",
					sent, invalid, rejected, tc.sent, tc.invalid, tc.vendorRejected)
			}
			if !slices.Equal(invalidFields, tc.wantInvalidFields) || !slices.Equal(vendorFields, tc.wantVendorFields) {
				t.Errorf("problems on %v and %v; want %v and %v", invalidFields, vendorFields, tc.wantInvalidFields, tc.wantVendorFields)
			}
			if n := e.srv.CreatedCount(tc.route); n != tc.sent {
				t.Errorf("the sandbox created %d records, want %d", n, tc.sent)
			}
			// A rerun's crash recovery finds every sent row by its key.
			for i, rec := range recs {
				if len(tg.Validate(t.Context(), rec)) > 0 {
					continue
				}
				_, found, err := tg.Lookup(context.Background(), rec, keys[i], e.Now().Add(-time.Minute))
				if err != nil {
					t.Fatal(err)
				}
				var rej bool
				if strings.Contains(rec.String("description"), "vendor rejects") {
					rej = true
				}
				if found == rej {
					t.Errorf("row %d: lookup found=%v", rec.Row, found)
				}
			}
		})
	}
}
