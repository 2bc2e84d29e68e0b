package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/leadpipe/leadpipe/connectors"
	"github.com/leadpipe/leadpipe/connectors/sandbox"
)

// unsetVendorEnv unsets every variable the sandboxes give, as in a CI job
// that holds no secrets.
func unsetVendorEnv(t *testing.T) {
	t.Helper()
	run, err := sandbox.Start("127.0.0.1:0", sandbox.Options{Size: 1})
	if err != nil {
		t.Fatal(err)
	}
	env := run.Env()
	run.Close()
	for k := range env {
		t.Setenv(k, "")
		os.Unsetenv(k)
	}
	t.Setenv("LEADPIPE_LAKE", "")
	os.Unsetenv("LEADPIPE_LAKE")
}

// TestValidateNoEnvLintsEveryExampleWithoutSecrets: CI lints the examples
// with no vendor variable set, by directory, and the same files fail
// without --no-env (so the flag is what makes them pass).
func TestValidateNoEnvLintsEveryExampleWithoutSecrets(t *testing.T) {
	unsetVendorEnv(t)
	dir := t.TempDir()
	if _, err := prepareDemoDir(dir); err != nil {
		t.Fatal(err)
	}
	pipes := filepath.Join(dir, "pipelines")
	for _, spec := range connectors.All() {
		os.WriteFile(filepath.Join(pipes, "sample-"+spec.Name+".yaml"), spec.Sample, 0o644)
	}
	files, _ := filepath.Glob(filepath.Join(pipes, "*.yaml"))
	code, out, errs := cli(t, "validate", "--no-env", pipes)
	if code != exitOK {
		t.Fatalf("validate --no-env exited %d:\n%s\n%s", code, out, errs)
	}
	if got := strings.Count(out, ": ok ("); got != len(files) || got < 15 {
		t.Errorf("%d of %d files reported ok:\n%s", got, len(files), out)
	}
	if !strings.Contains(out, "not checked: unset: LUMI_USERNAME, LUMI_PASSWORD") {
		t.Errorf("the unset variables are not listed:\n%s", out)
	}
	if code, _, errs := cli(t, "validate", pipes); code != exitInvalid || !strings.Contains(errs, "environment variable LUMI_PASSWORD is not set") {
		t.Errorf("without --no-env: exit %d\n%s", code, errs)
	}
	// A problem that does not depend on a variable is still found.
	bad := strings.Replace(string(mustRead(t, filepath.Join(pipes, "lumi.yaml"))), "streams: [", "streams: [deals, ", 1)
	os.WriteFile(filepath.Join(pipes, "lumi.yaml"), []byte(bad), 0o644)
	if code, _, errs := cli(t, "validate", "--no-env", pipes); code != exitInvalid || !strings.Contains(errs, `"deals"`) {
		t.Errorf("a bad stream under --no-env: exit %d\n%s", code, errs)
	}
}

func mustRead(t *testing.T, p string) []byte {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestValidateChecksThePushInput: a missing input file, a mapped column and
// a key column the header lacks, and a misspelt vendor field are found by
// validate, each at its line, with "did you mean" where a name is close.
func TestValidateChecksThePushInput(t *testing.T) {
	unsetVendorEnv(t)
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "rows.csv"), []byte("ref,first,email,mobile,company,abn,amount,weeks\nK1,Amy,a@example.com.au,0412345678,Co,51824753556,20000,52\n"), 0o644)
	pipe := `name: check
source:
  file:
    path: rows.csv
push:
  connector: lumi
  target: leads
  config:
    username: ${LUMI_USERNAME}
    password: ${LUMI_PASSWORD}
  key: [ref]
  fields:
    customer.first_name: first
    customer.email: email
    customer.phone: mobile
    company.name: company
    company.abn: abn
    loan.requested_amount: amount
    loan.installments: weeks
`
	p := filepath.Join(dir, "check.yaml")
	write := func(s string) { os.WriteFile(p, []byte(s), 0o644) }
	write(pipe)
	if code, out, errs := cli(t, "validate", "--no-env", p); code != exitOK {
		t.Fatalf("the good pipeline: exit %d\n%s%s", code, out, errs)
	}
	for _, tc := range []struct{ name, from, to, want string }{
		{"a missing input", "path: rows.csv", "path: rowz.csv", p + `:4: source.file.path: the input ` + filepath.Join(dir, "rowz.csv") + ` does not exist`},
		{"a missing column", "customer.phone: mobile", "customer.phone: mobil", p + `:15: push.fields.customer.phone: column "mobil" is not in the input (did you mean "mobile"?`},
		{"a missing key column", "key: [ref]", "key: [reference]", p + `:11: push.key: column "reference" is not in the input (columns: ref, first`},
		{"a misspelt field", "company.abn: abn", "company.abnn: abn", p + `:17: push.fields.company.abnn: "company.abnn" is not a field of this target (did you mean "company.abn"?)`},
	} {
		write(strings.Replace(pipe, tc.from, tc.to, 1))
		code, _, errs := cli(t, "validate", "--no-env", p)
		if code != exitInvalid || !strings.Contains(errs, tc.want) {
			t.Errorf("%s: exit %d, want %q in\n%s", tc.name, code, tc.want, errs)
		}
	}
	// A run names the setting too, with its line.
	write(strings.Replace(pipe, "path: rows.csv", "path: rowz.csv", 1))
	t.Setenv("LUMI_USERNAME", "u")
	t.Setenv("LUMI_PASSWORD", "p")
	code, _, errs := cli(t, "run", "--state", filepath.Join(dir, "state.db"), p)
	if code == exitOK || !strings.Contains(errs, p+`:4: source.file.path: the input `+filepath.Join(dir, "rowz.csv")+` does not exist`) {
		t.Errorf("run with a missing input: exit %d\n%s", code, errs)
	}
}
