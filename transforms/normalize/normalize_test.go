package normalize

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
)

func TestAttributesJSONMatchesEncodingJSON(t *testing.T) {
	a := Attributes{}
	a.Set("plain", "hello")
	a.Set("quotes", `say "hi" \ bye`)
	a.Set("control", "tab\tnew\nline\x01")
	a.Set("html", "<b>&</b>")
	a.Set("unicode", "Zürich 東京 \u2028")
	a.Set("invalid", "bad\xffbyte")
	a.Set("list", []string{"a", "b,c"})
	a.Set("nested", map[string]any{"z": "1", "a": []string{"x"}})
	a.Set("flag", true)
	a.Set("n", 42)
	a.Set("empty", "")
	// encoding/json without its HTML escaping: attributes are data, never
	// embedded in a page unescaped.
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.Encode(map[string]any(a))
	want := strings.TrimSuffix(buf.String(), "\n")
	if got := a.JSON(); got != want {
		t.Errorf("JSON() =\n%s\nencoding/json:\n%s", got, want)
	}
	if (Attributes{}).JSON() != "" {
		t.Error("empty attributes are not \"\"")
	}
	// A type the fast path does not know falls back to encoding/json.
	b := Attributes{"f": 1.5}
	if b.JSON() != `{"f":1.5}` {
		t.Errorf("fallback: %s", b.JSON())
	}
}

func TestPhone(t *testing.T) {
	for _, tc := range []struct{ in, region, want string }{
		{"0401-234-567", "AU", "+61401234567"},
		{"04 1234 5678", "AU", "+61412345678"},
		{"+61433222111", "AU", "+61433222111"},
		{"(02) 9123 4567", "AU", "+61291234567"},
		{"+44 7911 123456", "AU", "+447911123456"},
		{"069123456", "MD", "+37369123456"},
		{"021 123 4567", "NZ", "+64211234567"},
		{"+61 499 492 226", "", "+61499492226"}, // a + number needs no region
		{"(415) 555-2671", "US", "+14155552671"},
	} {
		got, ok := Phone(tc.in, tc.region)
		if !ok || got != tc.want {
			t.Errorf("Phone(%q, %s) = %q, %v; want %q", tc.in, tc.region, got, ok, tc.want)
		}
	}
	for _, bad := range []struct{ in, region string }{
		{"", "AU"}, {"abc", "AU"}, {"12", "AU"},
		{"0499492226", "US"},      // an AU mobile read as US: possible, not valid; never +10499492226
		{"0499492226", ""},        // no region and no +: unreadable
		{"0441 590 105", "AU"},    // AU shape, a range not allocated
		{"0499 49222", "AU"},      // a digit short
		{"+44 7700 900123", "GB"}, // Ofcom's drama range: no one's number
		{"(555) 010-1234", "US"},  // a fictional US number
	} {
		if got, ok := Phone(bad.in, bad.region); ok {
			t.Errorf("Phone(%q, %q) = %q, want not ok", bad.in, bad.region, got)
		}
	}
}

func BenchmarkPhone(b *testing.B) {
	in := []string{"0401-234-567", "04 1234 5678", "+61433222111", "0412345678"}
	for i := 0; b.Loop(); i++ {
		Phone(in[i%len(in)], "AU")
	}
}

func TestCountryDateTimestamp(t *testing.T) {
	for in, want := range map[string]string{"Australia": "AU", "AUS": "AU", "au": "AU", "UK": "GB", "New Zealand": "NZ", "Moldova": "MD"} {
		if got, ok := Country(in); !ok || got != want {
			t.Errorf("Country(%q) = %q, want %q", in, got, want)
		}
	}
	for _, bad := range []string{"XX", "None", "Atlantis", ""} {
		if got, ok := Country(bad); ok {
			t.Errorf("Country(%q) = %q, want not ok", bad, got)
		}
	}
	if d, ok := Date("14/02/1988"); !ok || d.String() != "1988-02-14" {
		t.Errorf("Date(14/02/1988) = %v", d)
	}
	if d, ok := Date("01.03.1990"); !ok || d.String() != "1990-03-01" {
		t.Errorf("Date(01.03.1990) = %v", d)
	}
	if ts, ok := Timestamp("2018-07-04T13:40:26+10:00", nil); !ok || ts.String() != "2018-07-04T03:40:26Z" {
		t.Errorf("Timestamp = %v", ts)
	}
	if ts, ok := Timestamp("2019-07-09T01:07:54.000Z", nil); !ok || ts.String() != "2019-07-09T01:07:54Z" {
		t.Errorf("Timestamp = %v", ts)
	}
}
