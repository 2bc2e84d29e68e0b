package main

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/leadpipe/leadpipe/connectors/bizcap/bizcaptest"
	"github.com/leadpipe/leadpipe/connectors/iute/iutetest"
	"github.com/leadpipe/leadpipe/connectors/lofty/loftytest"
	"github.com/leadpipe/leadpipe/connectors/lumi/lumitest"
	"github.com/leadpipe/leadpipe/connectors/lumire/lumiretest"
	"github.com/leadpipe/leadpipe/connectors/sandbox"
	"github.com/leadpipe/leadpipe/examples"
	"github.com/leadpipe/leadpipe/pipelines"
	"github.com/leadpipe/leadpipe/pipelines/state"
	"github.com/leadpipe/leadpipe/sinks/laketest"
	"github.com/leadpipe/leadpipe/transforms/normalize"
	"github.com/leadpipe/leadpipe/transforms/privacy"
)

// seed is one personal value the sandboxes or the example inputs hold.
type seed struct {
	kind, source, value string
}

// seeds collects the values the default privacy policy must keep out of
// every file leadpipe writes: licence numbers, PINs and document serials,
// dates of birth, emails and phones. They come from the sandboxes' own
// datasets (the demo's seed and size) and from the example push inputs.
type seeds struct {
	list []seed
	seen map[string]bool
}

func (s *seeds) add(kind, source, v string) {
	v = strings.TrimSpace(v)
	forms := []string{v}
	switch kind {
	case "email":
		forms = append(forms, strings.ToLower(v))
	case "phone":
		digits := strings.Map(func(r rune) rune {
			if r >= '0' && r <= '9' {
				return r
			}
			return -1
		}, v)
		forms = append(forms, digits)
		for _, region := range []string{"AU", "NZ", "GB", "US", "MD", "SG"} {
			if e164, ok := normalize.Phone(v, region); ok {
				forms = append(forms, e164)
			}
		}
	case "date of birth":
		for _, layout := range []string{"2006-01-02", "02/01/2006", "01/02/2006", "02.01.2006", "2006/01/02"} {
			if d, err := time.Parse(layout, v); err == nil {
				forms = append(forms, d.Format("2006-01-02"), d.Format("02/01/2006"), d.Format("02.01.2006"))
				break
			}
		}
	}
	for _, f := range forms {
		// Short values (a 5-digit bad phone, a year) would match by chance.
		if len(f) < 7 || s.seen[f] {
			continue
		}
		s.seen[f] = true
		s.list = append(s.list, seed{kind, source, f})
	}
}

func demoSeeds(t *testing.T) *seeds {
	t.Helper()
	s := &seeds{seen: map[string]bool{}}
	opts := sandbox.Options{Seed: 1} // the demo's: --seed 1, default size
	count := map[string]int{}
	before := func() int { return len(s.list) }
	n := before()
	for _, l := range lumitest.New(opts).Leads() {
		st := l.Stakeholder
		s.add("email", "lumi", st.Email)
		s.add("phone", "lumi", st.Phone)
		s.add("date of birth", "lumi", st.BirthDate)
		s.add("licence", "lumi", st.DriversLicenseNumber)
		s.add("licence", "lumi", st.DriversLicenseCardNumber)
	}
	count["lumi"], n = before()-n, before()
	str := func(p *string) string {
		if p == nil {
			return ""
		}
		return *p
	}
	for _, l := range bizcaptest.New(opts).Leads() {
		f := l.Fields
		s.add("email", "bizcap", str(f.Email))
		s.add("email", "bizcap", str(f.SecondaryEmail))
		s.add("phone", "bizcap", f.Phone)
		s.add("phone", "bizcap", str(f.SecondaryPhone))
		s.add("date of birth", "bizcap", str(f.DateOfBirth))
		s.add("licence", "bizcap", str(f.DriversLicenseNumber))
		s.add("licence", "bizcap", str(f.DriverVersionNumber))
	}
	count["bizcap"], n = before()-n, before()
	for _, l := range iutetest.New(opts).Loans() {
		a := l.Application
		s.add("pin", "iute", a.PIN)
		s.add("document serial", "iute", a.DocumentSerial)
		s.add("date of birth", "iute", a.BirthDate)
		s.add("phone", "iute", a.GSM)
		s.add("phone", "iute", a.PhoneHome)
		s.add("phone", "iute", a.AltContactPhone)
	}
	count["iute"], n = before()-n, before()
	for _, l := range lumiretest.New(opts).Leads() {
		s.add("email", "lumire", l.Email)
		s.add("phone", "lumire", str(l.Phone))
	}
	count["lumire"], n = before()-n, before()
	for _, l := range loftytest.New(opts).Leads() {
		for _, e := range l.Emails {
			s.add("email", "lofty", e)
		}
		for _, p := range l.Phones {
			s.add("phone", "lofty", p)
		}
		s.add("date of birth", "lofty", l.Birthday)
		for _, m := range l.LeadFamilyMemberList {
			for _, e := range m.Emails {
				s.add("email", "lofty", e)
			}
			for _, p := range m.Phones {
				s.add("phone", "lofty", p)
			}
		}
	}
	count["lofty"], n = before()-n, before()
	// The example push inputs.
	kinds := map[string]string{
		"email": "email", "mobile": "phone", "phone": "phone", "gsm": "phone", "phone_home": "phone",
		"alt_contact_phone": "phone", "dob": "date of birth", "date_of_birth": "date of birth",
		"birth_date": "date of birth", "pin": "pin", "document_serial": "document serial",
	}
	files, _ := fs.Glob(examples.Files, "data/*.csv")
	for _, name := range files {
		b, _ := examples.Files.ReadFile(name)
		recs, err := csv.NewReader(strings.NewReader(string(b))).ReadAll()
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		for _, rec := range recs[1:] {
			for i, col := range recs[0] {
				if k, ok := kinds[col]; ok && i < len(rec) {
					s.add(k, "examples/"+name, rec[i])
				}
			}
		}
	}
	count["examples"] = before() - n
	// A value the connectors print themselves (bizcap's "e.g.
	// +447512093211" in a validation message) is documentation, not a
	// person's data, even when an example row happens to use it too.
	code, _ := filepath.Glob("../../connectors/*/*.go")
	var src strings.Builder
	for _, f := range code {
		if !strings.HasSuffix(f, "_test.go") {
			b, _ := os.ReadFile(f)
			src.Write(b)
		}
	}
	kept := s.list[:0]
	for _, sd := range s.list {
		if !strings.Contains(src.String(), sd.value) {
			kept = append(kept, sd)
		}
	}
	s.list = kept
	for src, c := range count {
		if c == 0 {
			t.Errorf("no personal values seeded from %s: the scan would prove nothing there", src)
		}
	}
	return s
}

// scanner finds every seed in a text at once.
type scanner struct {
	s      *seeds
	r      *strings.Replacer
	marker *regexp.Regexp
}

// newScanner marks each seed with a token that binary files (the SQLite
// state store) cannot hold by chance: a bare "\x000\x00" can, and was once
// taken for the first seed.
func newScanner(s *seeds) *scanner {
	pairs := make([]string, 0, 2*len(s.list))
	for i, sd := range s.list {
		pairs = append(pairs, sd.value, fmt.Sprintf("\x00<leadpipe-seed-%d>\x00", i))
	}
	return &scanner{s: s, r: strings.NewReplacer(pairs...), marker: regexp.MustCompile("\x00<leadpipe-seed-([0-9]+)>\x00")}
}

// find returns the seeds in text, each with the text around it. A seed
// must stand on its own: a licence number inside a longer run of digits (a
// nanosecond timestamp, a hash) is chance, not the licence.
func (sc *scanner) find(text string) (found []seed, context []string) {
	marked := sc.r.Replace(text)
	alnum := func(i int) bool {
		if i < 0 || i >= len(marked) {
			return false
		}
		c := marked[i]
		return c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z'
	}
	for _, m := range sc.marker.FindAllStringSubmatchIndex(marked, -1) {
		if alnum(m[0]-1) || alnum(m[1]) {
			continue
		}
		i, _ := strconv.Atoi(marked[m[2]:m[3]])
		found = append(found, sc.s.list[i])
		from, to := max(0, m[0]-60), min(len(marked), m[1]+60)
		context = append(context, strconv.Quote(marked[from:to]))
	}
	return found, context
}

// nonBirthDates are attribute keys whose values are dates that are not a
// person's birth: bizcap's businessStartDate is drawn from the same decades
// as birth dates, so some days coincide with a seeded birth date by chance.
var nonBirthDates = map[string]bool{"businessStartDate": true}

func withoutNonBirthDates(t *testing.T, attrs string) string {
	if attrs == "" {
		return ""
	}
	var m map[string]any
	if err := json.Unmarshal([]byte(attrs), &m); err != nil {
		t.Errorf("attributes are not JSON: %v: %s", err, attrs)
		return attrs
	}
	for k := range nonBirthDates {
		delete(m, k)
	}
	var b strings.Builder
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false) // keep every character as stored
	enc.Encode(m)
	return b.String()
}

// TestDemoStoresNoPersonalData runs the demo (pulls from every sandbox and
// pushes from the example CSVs, good and bad rows) with the default privacy
// policy, then scans every file it wrote: Parquet (decoded), CSV, receipts,
// rejects, run manifests, the state store (ledger, run journal) and the
// printed report, for the seeded licence numbers, PINs, document serials,
// dates of birth, emails and phones. None may be there.
func TestDemoStoresNoPersonalData(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "demo")
	code, out, errs := cli(t, "demo", "--out", dir)
	if code != 0 {
		t.Fatalf("demo exited %d\n%s\n%s", code, out, errs)
	}
	sc := newScanner(demoSeeds(t))
	type finding struct{ where, what string }
	var found []finding
	scanText := func(where, text string) {
		seeds, context := sc.find(text)
		for i, sd := range seeds {
			found = append(found, finding{where, fmt.Sprintf("%s %q (from %s) in %s", sd.kind, sd.value, sd.source, context[i])})
		}
	}
	scanText("the demo's output", out+errs)
	kinds := map[string]int{}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		if d.IsDir() {
			if rel == "pipelines" { // the inputs the demo copied: the examples themselves
				return filepath.SkipDir
			}
			return nil
		}
		switch {
		case strings.HasSuffix(p, ".parquet"):
			kinds["parquet"]++
			var b strings.Builder
			for _, row := range laketest.ReadFile(t, p) {
				for col, v := range row {
					if col == "attributes" {
						v = withoutNonBirthDates(t, v)
					}
					b.WriteString(col + "=" + v + "\n")
				}
				if row["date_of_birth"] != "" {
					found = append(found, finding{rel, "a date of birth in date_of_birth"})
				}
			}
			scanText(rel, b.String())
		default:
			kinds[strings.SplitN(rel, string(filepath.Separator), 2)[0]]++
			b, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			scanText(rel, string(b))
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"parquet", "receipts", "rejects", "_runs", ".leadpipe"} {
		if kinds[k] == 0 {
			t.Errorf("the demo wrote no %s files to scan (%v)", k, kinds)
		}
	}
	sort.Slice(found, func(i, j int) bool { return found[i].where+found[i].what < found[j].where+found[j].what })
	for i, f := range found {
		if i == 30 {
			t.Errorf("... and %d more", len(found)-30)
			break
		}
		t.Errorf("%s holds %s", f.where, f.what)
	}

	// The data is there, hashed: the lake's emails are the seeded ones
	// under the state store's salt, so analysts can still join on them.
	st, err := state.Open(filepath.Join(dir, ".leadpipe", "state.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	salt, created, err := st.Salt(context.Background(), pipelines.SaltName)
	if err != nil || created {
		t.Fatalf("the demo's salt: %v (created only now: %v)", err, created)
	}
	emails := map[string]bool{}
	for _, r := range laketest.Read(t, dir, "leads") {
		emails[r["email"]] = true
	}
	hashed := 0
	for _, l := range lumitest.New(sandbox.Options{Seed: 1}).Leads() {
		if emails[privacy.HashValue(salt, privacy.Email, l.Stakeholder.Email)] {
			hashed++
		}
	}
	if hashed == 0 {
		t.Error("no lumi lead's email is in the lake as its hash")
	}
}

func TestValidateWarnsWhenAPipelineKeepsPersonalData(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "keep.yaml")
	os.WriteFile(p, []byte(`name: keep
source:
  connector: lumi
  config: {username: u, password: p}
sink:
  path: lake
transforms:
  - privacy:
      columns:
        email: keep
        date_of_birth: keep
      attributes:
        drivers_license_number: keep
`), 0o644)
	code, out, errs := cli(t, "validate", p)
	if code != 0 || !strings.Contains(out, ": ok (") {
		t.Fatalf("validate exited %d:\n%s\n%s", code, out, errs)
	}
	for _, want := range []string{
		p + ":10: warning: transforms[0].privacy.columns.email: keeps email (an email address) in the lake as it is",
		p + ":11: warning: transforms[0].privacy.columns.date_of_birth: keeps date_of_birth (a date of birth)",
		p + ":13: warning: transforms[0].privacy.attributes.drivers_license_number: keeps drivers_license_number (a government id)",
	} {
		if !strings.Contains(errs, want) {
			t.Errorf("missing %q in:\n%s", want, errs)
		}
	}

	// Keeping what is not personal says nothing: term_unit is not a street
	// and Lofty's houseToSell is a Yes/No, whatever their words suggest.
	q := filepath.Join(dir, "business.yaml")
	os.WriteFile(q, []byte(`name: business
source:
  connector: lofty
  config: {access_token: t, phone_region: AU}
sink:
  path: lake
transforms:
  - privacy:
      columns:
        term_unit: keep
      attributes:
        houseToSell: keep
        streetAddress: keep
`), 0o644)
	code, out, errs = cli(t, "validate", q)
	if code != 0 || !strings.Contains(out, ": ok (") {
		t.Fatalf("validate exited %d:\n%s\n%s", code, out, errs)
	}
	if strings.Contains(errs, "term_unit") || strings.Contains(errs, "houseToSell") {
		t.Errorf("validate warns about business fields:\n%s", errs)
	}
	if want := q + ":13: warning: transforms[0].privacy.attributes.streetAddress: keeps streetAddress (a home address)"; !strings.Contains(errs, want) {
		t.Errorf("missing %q in:\n%s", want, errs)
	}
}
