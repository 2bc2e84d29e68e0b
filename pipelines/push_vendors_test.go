package pipelines_test

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sync/atomic"
	"testing"

	"github.com/leadpipe/leadpipe/connectors/bizcap/bizcaptest"
	"github.com/leadpipe/leadpipe/connectors/iute/iutetest"
	"github.com/leadpipe/leadpipe/connectors/lumire/lumiretest"
	"github.com/leadpipe/leadpipe/connectors/sandbox"
	"github.com/leadpipe/leadpipe/examples"
	"github.com/leadpipe/leadpipe/pipelines"
	"github.com/leadpipe/leadpipe/pipelines/state"
)

// TestEveryPushSurvivesACrashBetweenSendAndLedger runs each shipped push
// example against the sandboxes, kills it (in-process) right after the
// vendor accepted its second row and before the ledger heard of it, then
// runs it again. Vendors with a lookup must end with every row exactly
// once; Iute, which has none, must not get the row again and must have it
// reported as needing a human.
func TestEveryPushSurvivesACrashBetweenSendAndLedger(t *testing.T) {
	for _, tc := range []struct {
		name    string
		before  []string // pipelines to run first
		example string
		// accepted lists the row keys of the creates the vendor accepted
		// ("" for a vendor that does not echo the key).
		accepted func(sandbox.Sandbox) []string
		noLookup bool
	}{
		{name: "bizcap leads", example: "backfill-bizcap.yaml", accepted: func(sb sandbox.Sandbox) []string {
			var keys []string
			for _, s := range sb.(*bizcaptest.Server).Received() {
				if s.Kind == bizcaptest.KindCreateLead && s.ID != "" {
					f, _ := s.Body["fields"].(map[string]any)
					keys = append(keys, fmt.Sprint(f["partnerLeadReferenceId"]))
				}
			}
			return keys
		}},
		{name: "lumire leads", example: "backfill-lumire.yaml", accepted: func(sb sandbox.Sandbox) []string {
			var keys []string
			for _, s := range sb.(*lumiretest.Server).Received() {
				if s.Route == lumiretest.RouteCreateLead && s.ID != "" {
					m, _ := s.Body["metadata"].(map[string]any)
					keys = append(keys, fmt.Sprint(m["leadpipe_key"]))
				}
			}
			return keys
		}},
		{name: "lumire transactions", example: "push-lumire-transactions.yaml", accepted: func(sb sandbox.Sandbox) []string {
			var keys []string
			for _, s := range sb.(*lumiretest.Server).Received() {
				if s.Route == lumiretest.RouteCreateTransaction && s.ID != "" {
					keys = append(keys, fmt.Sprint(s.Body["externalId"]))
				}
			}
			return keys
		}},
		{name: "iute loan applications", example: "iute-applications.yaml", noLookup: true, accepted: func(sb sandbox.Sandbox) []string {
			var keys []string
			for _, s := range sb.(*iutetest.Server).Received() {
				if s.Kind == iutetest.KindNewLoan && s.Accepted {
					keys = append(keys, "")
				}
			}
			return keys
		}},
		{name: "iute repayments", before: []string{"iute-applications.yaml", "iute.yaml"}, example: "iute-repayments.yaml", noLookup: true,
			accepted: func(sb sandbox.Sandbox) []string {
				var keys []string
				for _, s := range sb.(*iutetest.Server).Received() {
					if s.Kind == iutetest.KindInsertRepayment && s.Accepted {
						keys = append(keys, "")
					}
				}
				return keys
			}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			run, err := sandbox.Start("127.0.0.1:0", sandbox.Options{Seed: 1})
			if err != nil {
				t.Fatal(err)
			}
			defer run.Close()
			env := run.Env()
			dir := t.TempDir()
			env["LEADPIPE_LAKE"] = filepath.Join(dir, "lake")
			for _, v := range []string{"LUMI", "IUTE", "BIZCAP", "LUMIRE", "LOFTY"} {
				env[v+"_RATE_LIMIT"], env[v+"_PUSH_RATE"] = "500", "500"
			}
			copyExamples(t, dir)
			st, err := state.Open(filepath.Join(dir, "state.db"))
			if err != nil {
				t.Fatal(err)
			}
			defer st.Close()
			load := func(name string) *pipelines.Plan {
				plan, err := pipelines.Load(t.Context(), filepath.Join(dir, name), func(k string) (string, bool) { v, ok := env[k]; return v, ok })
				if err != nil {
					t.Fatalf("load %s: %v", name, err)
				}
				return plan
			}
			for _, b := range tc.before {
				if _, err := pipelines.Run(context.Background(), load(b), st, pipelines.Options{}); err != nil {
					t.Fatalf("%s: %v", b, err)
				}
			}
			vendor := run.Sandboxes[load(tc.example).Push.Spec.Name]
			base := len(tc.accepted(vendor))
			plan := load(tc.example)
			var sends atomic.Int64
			_, err = pipelines.Run(context.Background(), plan, st, pipelines.Options{CrashAt: func(p string) error {
				if p == pipelines.PointAfterSend && sends.Add(1) == 2 {
					return pipelines.ErrCrashed
				}
				return nil
			}})
			if !errors.Is(err, pipelines.ErrCrashed) {
				t.Fatalf("want the simulated crash, got %v", err)
			}
			afterCrash := len(tc.accepted(vendor)) - base
			if afterCrash < 2 {
				t.Fatalf("the vendor had %d rows when the run died; the crash came too early to test anything", afterCrash)
			}
			sum, err := pipelines.Run(context.Background(), plan, st, pipelines.Options{})
			if err != nil {
				t.Fatal(err)
			}
			keys := tc.accepted(vendor)[base:]
			seen := map[string]int{}
			for _, k := range keys {
				if k != "" {
					seen[k]++
				}
			}
			for k, n := range seen {
				if n > 1 {
					t.Errorf("row %s reached the vendor %d times", k, n)
				}
			}
			p := sum.Push
			if tc.noLookup {
				if p.NeedsHuman == 0 {
					t.Errorf("the ambiguous row was not reported for a human: %+v", p)
				}
				// Every accepted row is in the ledger as done, except the
				// ones reported for a human, which were not sent again.
				if got, want := len(keys), afterCrash+p.Submitted; got != want {
					t.Errorf("the vendor accepted %d rows; %d before the crash plus %d submitted by the rerun", got, afterCrash, p.Submitted)
				}
			} else {
				done, _ := st.LedgerList(context.Background(), ledgerScope(t, st, plan.Name()), state.LedgerDone)
				if len(keys) != len(done) {
					t.Errorf("the vendor accepted %d rows, the ledger has %d done", len(keys), len(done))
				}
				if p.NeedsHuman != 0 || p.Recovered == 0 {
					t.Errorf("rerun: %+v (want the crashed row recovered by lookup)", p)
				}
			}
		})
	}
}

func ledgerScope(t *testing.T, st *state.Store, pipeline string) string {
	t.Helper()
	scopes, err := st.LedgerScopes(context.Background(), pipeline)
	if err != nil || len(scopes) != 1 {
		t.Fatalf("ledger scopes of %s: %v %v", pipeline, scopes, err)
	}
	return scopes[0]
}

func copyExamples(t *testing.T, dir string) {
	t.Helper()
	err := fs.WalkDir(examples.Files, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || p == "." {
			return err
		}
		target := filepath.Join(dir, filepath.FromSlash(p))
		if d.IsDir() {
			return os.MkdirAll(target, 0o755)
		}
		b, err := examples.Files.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(target, b, 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
}
