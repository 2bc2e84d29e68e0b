package mapping

import (
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/leadpipe/leadpipe/config"
	"github.com/leadpipe/leadpipe/connectors"
)

var fields = []connectors.Field{
	{Name: "name", Type: connectors.TypeString, Required: true},
	{Name: "amount", Type: connectors.TypeNumber},
	{Name: "weeks", Type: connectors.TypeInteger},
	{Name: "ok", Type: connectors.TypeBool},
	{Name: "dob", Type: connectors.TypeDate},
	{Name: "tags", Type: connectors.TypeList},
	{Name: "phone", Type: connectors.TypePhone, Region: "AU"},
	{Name: "gsm", Type: connectors.TypePhone, Region: "MD", Format: "national"},
	{Name: "note", Type: connectors.TypeString},
}

func compile(t *testing.T, src string) (*Mapping, config.Problems) {
	t.Helper()
	var n yaml.Node
	if err := yaml.Unmarshal([]byte(src), &n); err != nil {
		t.Fatal(err)
	}
	v, probs := config.NewValidator("p.yaml")
	m := Compile(v, "push.fields", n.Content[0], fields)
	return m, *probs
}

func TestApplyParsesEveryType(t *testing.T) {
	m, probs := compile(t, `
name: Name
amount: Amount
weeks: Weeks
ok: {value: yes}
dob: {column: DOB, date_format: dd/mm/yyyy}
tags: Tags
phone: Phone
gsm: GSM
note: {expr: 'Name + " (" + row["Odd Col"] + ")"'}
`)
	if len(probs) > 0 {
		t.Fatal(probs)
	}
	rec, bad := m.Apply(3, map[string]string{
		"Name": "Ann", "Amount": "$15,000.50", "Weeks": "52", "DOB": "14/02/1988", "Tags": "a| b |c",
		"Phone": "0412 345 678", "GSM": "+373 69 123 456", "Odd Col": "x",
	})
	if len(bad) > 0 {
		t.Fatal(bad)
	}
	want := map[string]string{
		"name": "Ann", "amount": "15000.50", "weeks": "52", "ok": "true", "dob": "1988-02-14",
		"tags": "[a b c]", "phone": "+61412345678", "gsm": "069123456", "note": "Ann (x)",
	}
	for k, v := range want {
		if got := rec.String(k); got != v {
			t.Errorf("%s = %q, want %q", k, got, v)
		}
	}
	if rec.Row != 3 {
		t.Errorf("row %d", rec.Row)
	}
}

func TestApplyReportsBadValuesWithTheirColumn(t *testing.T) {
	m, _ := compile(t, "name: N\namount: A\nweeks: W\nok: B\ndob: D\n")
	_, bad := m.Apply(1, map[string]string{"N": "x", "A": "12abc", "W": "4.5", "B": "maybe", "D": "31/13/2000"})
	got := map[string]string{}
	for _, p := range bad {
		got[p.Column] = p.Reason
	}
	for col, want := range map[string]string{"A": "not a number", "W": "not a whole number", "B": "not true/false", "D": "not a date"} {
		if !strings.Contains(got[col], want) {
			t.Errorf("column %s: %q, want %q", col, got[col], want)
		}
	}
}

func TestCompileProblemsNameTheLine(t *testing.T) {
	_, probs := compile(t, "amount: A\nnmae: N\nweeks: {column: W, value: 3}\nnote: {expr: 'a +* b'}\ndob: {column: D, colour: red}\n")
	msgs := probs.Error()
	for _, want := range []string{
		`p.yaml:2: push.fields.nmae: "nmae" is not a field of this target`,
		`p.yaml:3: push.fields.weeks: set exactly one of column, value or expr`,
		`p.yaml:4: push.fields.note.expr: does not compile`,
		`unknown key "colour"`,
		`required vendor field "name" is not mapped`,
	} {
		if !strings.Contains(msgs, want) {
			t.Errorf("missing %q in:\n%s", want, msgs)
		}
	}
}

func TestHeaderProblems(t *testing.T) {
	m, _ := compile(t, "name: Name\namount: Amount\n")
	err := m.HeaderProblems("p.yaml", []string{"Name"})
	if err == nil || !strings.Contains(err.Error(), `p.yaml:2: push.fields.amount: column "Amount" is not in the input (columns: Name)`) {
		t.Errorf("HeaderProblems: %v", err)
	}
	// A near miss is named.
	err = m.HeaderProblems("p.yaml", []string{"Name", "amount"})
	if err == nil || !strings.Contains(err.Error(), `column "Amount" is not in the input (did you mean "amount"? columns: Name, amount)`) {
		t.Errorf("HeaderProblems: %v", err)
	}
}

func TestParseNumber(t *testing.T) {
	for in, want := range map[string]string{"15,000": "15000", "15 000.50": "15000.50", "$1,234.5": "1234.5", "-12": "-12",
		"AUD 300": "300", "1'000": "1000", "7.": "7"} {
		if got, err := ParseNumber(in); err != nil || got != want {
			t.Errorf("ParseNumber(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	for _, in := range []string{"", "abc", "1.2.3", "12-", ",5"} {
		if got, err := ParseNumber(in); err == nil {
			t.Errorf("ParseNumber(%q) = %q, want an error", in, got)
		}
	}
}

func TestHashIsStableAndSeesChanges(t *testing.T) {
	a := connectors.Record{Fields: map[string]any{"x": "1", "y": connectors.Number("2.5"), "z": []string{"a"}}}
	b := connectors.Record{Row: 9, Fields: map[string]any{"z": []string{"a"}, "y": connectors.Number("2.5"), "x": "1"}}
	if Hash(a) != Hash(b) {
		t.Error("the same content hashes differently")
	}
	b.Fields["x"] = "2"
	if Hash(a) == Hash(b) {
		t.Error("different content hashes the same")
	}
}

func TestDateFormatsReadCommonTokensAndAreQuotedAsWritten(t *testing.T) {
	for _, tc := range []struct{ format, in, want string }{
		{"dd/mm/yyyy", "14/02/1988", "1988-02-14"},
		{"mm/dd/yyyy", "02/14/1988", "1988-02-14"},
		{"d.m.yy", "4.7.90", "1990-07-04"},
		{"MMM d, yyyy", "Jul 4, 1990", "1990-07-04"},
		{"MMM d, yyyy", "JUL 4, 1990", "1990-07-04"},
		{"d MMMM yyyy", "4 July 1990", "1990-07-04"},
		{"EEE dd/MM/yyyy", "Wed 04/07/1990", "1990-07-04"},
		{"yyyy-mm-dd", "1990-07-04", "1990-07-04"},
		{"02/01/2006", "04/07/1990", "1990-07-04"}, // a Go layout
	} {
		layout, err := DateLayout(tc.format)
		if err != nil {
			t.Errorf("%s: %v", tc.format, err)
			continue
		}
		got, err := parseDate(tc.in, layout, tc.format)
		if err != nil {
			t.Errorf("%s: %v", tc.format, err)
			continue
		}
		if d := got.(connectors.Date).Format("2006-01-02"); d != tc.want {
			t.Errorf("%s %q = %s, want %s", tc.format, tc.in, d, tc.want)
		}
	}
	// A value that does not match names the format as the user wrote it.
	m, probs := compile(t, "name: N\ndob: {column: D, date_format: 'MMM d, yyyy'}\n")
	if len(probs) > 0 {
		t.Fatal(probs)
	}
	_, bad := m.Apply(1, map[string]string{"N": "x", "D": "4/7/1990"})
	if len(bad) != 1 || bad[0].Reason != `"4/7/1990" does not match the date format MMM d, yyyy` {
		t.Errorf("problems %+v", bad)
	}
	// A format with an unknown token is an error with its line.
	_, probs = compile(t, "name: N\ndob: {column: D, date_format: dd/mm/yyyy hh}\n")
	if !strings.Contains(probs.Error(), `p.yaml:2: push.fields.dob.date_format: "dd/mm/yyyy hh": "hh" is not a date token`) {
		t.Errorf("problems:\n%s", probs.Error())
	}
}

func TestPhonesNotValidForTheirRegionArePassedOnAsWritten(t *testing.T) {
	m, _ := compile(t, "name: N\nphone: P\n")
	for in, want := range map[string]string{
		"0412 345 678": "+61412345678", // valid
		"12345":        "12345",        // possible in the loosest sense, valid nowhere
		"0499 49222":   "0499 49222",   // a digit short
	} {
		rec, _ := m.Apply(1, map[string]string{"N": "x", "P": in})
		if got := rec.String("phone"); got != want {
			t.Errorf("%q → %q, want %q", in, got, want)
		}
	}
}
