package lumire

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/leadpipe/leadpipe/transforms/normalize"
)

// TestPageParser covers the list envelopes the connector accepts without
// configuration, and the overrides.
func TestPageParser(t *testing.T) {
	hdr := http.Header{NextCursorHeader: {"hc"}}
	for _, tc := range []struct {
		name         string
		p            pageParser
		body         string
		header       http.Header
		n            int
		next, errMsg string
	}{
		{"bare array, header cursor", pageParser{}, `[{"id":"a"},{"id":"b"}]`, hdr, 2, "hc", ""},
		{"bare array, last page", pageParser{}, `[{"id":"a"}]`, nil, 1, "", ""},
		{"data + nextCursor", pageParser{}, `{"data":[{"id":"a"}],"nextCursor":"c2"}`, nil, 1, "c2", ""},
		{"data, no cursor", pageParser{}, `{"data":[]}`, nil, 0, "", ""},
		{"items + next_cursor null", pageParser{}, `{"items":[{"id":"a"}],"next_cursor":null}`, hdr, 1, "", ""},
		{"results + cursor", pageParser{}, `{"results":[{"id":"a"}],"cursor":"c3"}`, nil, 1, "c3", ""},
		{"cursor under meta", pageParser{}, `{"data":[{"id":"a"}],"meta":{"nextCursor":"c4"}}`, nil, 1, "c4", ""},
		{"numeric cursor", pageParser{}, `{"data":[{"id":"a"}],"pagination":{"next_cursor":42}}`, nil, 1, "42", ""},
		{"body cursor before header", pageParser{}, `{"data":[{"id":"a"}],"nextCursor":"body"}`, hdr, 1, "body", ""},
		{"object without cursor falls back to the header", pageParser{}, `{"data":[{"id":"a"}]}`, hdr, 1, "hc", ""},
		{"records path", pageParser{recordsPath: "result.rows", cursorPath: "result.paging.after"},
			`{"result":{"rows":[{"id":"a"},{"id":"b"}],"paging":{"after":"z"}}}`, nil, 2, "z", ""},
		{"records path, last page", pageParser{recordsPath: "result.rows", cursorPath: "result.paging.after"},
			`{"result":{"rows":[{"id":"a"}],"paging":{}}}`, nil, 1, "", ""},
		{"header override", pageParser{cursorPath: "header:Link-Next"}, `{"data":[{"id":"a"}],"nextCursor":"ignored"}`,
			http.Header{"Link-Next": {"ln"}}, 1, "ln", ""},
		{"unknown envelope", pageParser{}, `{"rows":[{"id":"a"}],"after":"x"}`, nil, 0, "", "set records_path"},
		{"records path missing", pageParser{recordsPath: "payload"}, `{"data":[]}`, nil, 0, "", `no "payload"`},
		{"records path not an array", pageParser{recordsPath: "data"}, `{"data":{"id":"a"}}`, nil, 0, "", "not an array"},
		{"cursor of the wrong type", pageParser{}, `{"data":[],"nextCursor":{"a":1}}`, nil, 0, "", "neither a string"},
		{"not json", pageParser{}, `<html>`, nil, 0, "", "neither a JSON array nor an object"},
		{"empty", pageParser{}, ``, nil, 0, "", "empty body"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := tc.header
			if h == nil {
				h = http.Header{}
			}
			recs, next, err := tc.p.parse([]byte(tc.body), h)
			if tc.errMsg != "" {
				if err == nil || !strings.Contains(err.Error(), tc.errMsg) {
					t.Fatalf("error %v, want %q", err, tc.errMsg)
				}
				return
			}
			if err != nil || len(recs) != tc.n || next != tc.next {
				t.Errorf("got %d records, cursor %q, err %v; want %d, %q", len(recs), next, err, tc.n, tc.next)
			}
		})
	}
}

func TestDecodeWireKeepsUnknownFieldsAndOddTypes(t *testing.T) {
	var w wireMoney
	extra, err := decodeWire([]byte(`{"id":"t1","amount":12.5,"currency":"EUR","status":"completed","reconciled":true,"fxRate":"1.08","tags":["a"]}`), &w, moneyKeys)
	if err != nil {
		t.Fatal(err)
	}
	if w.Amount != "12.5" || w.Currency != "EUR" || w.Reconciled == nil || !*w.Reconciled {
		t.Errorf("decoded %+v", w)
	}
	if extra["fxRate"] != "1.08" || extra["tags"] == nil || len(extra) != 2 {
		t.Errorf("extra %v", extra)
	}
}

func TestAmountKeepsWhatTwoDecimalsCannotHold(t *testing.T) {
	for _, tc := range []struct {
		raw, want, exact, rawAttr string
	}{
		{"1234.50", "1234.50", "", ""},
		{"155013", "155013.00", "", ""}, // JPY has no decimals
		{"-12.5", "-12.50", "", ""},
		{"0.12345678", "0.12", "0.12345678", ""},
		{"2.005", "2.01", "2.005", ""}, // half away from zero
		{"10.1000", "10.10", "", ""},   // trailing zeros lose nothing
		{"n/a", "", "", "n/a"},
	} {
		a := normalize.Attributes{}
		m := amount(tc.raw, "amount", a)
		if m.String() != tc.want || (a["amount_exact"] != nil) != (tc.exact != "") || (a["amount_raw"] != nil) != (tc.rawAttr != "") {
			t.Errorf("%s: %s %v, want %s exact %q raw %q", tc.raw, m, a, tc.want, tc.exact, tc.rawAttr)
		}
		if tc.exact != "" && a["amount_exact"] != tc.exact {
			t.Errorf("%s: exact %v", tc.raw, a["amount_exact"])
		}
	}
}

func TestTOTPMatchesRFC6238(t *testing.T) {
	key, err := decodeTOTPSecret("gezd gnbv gy3t qojq gezd gnbv gy3t qojq")
	if err != nil {
		t.Fatal(err)
	}
	for unix, want := range map[int64]string{59: "287082", 1111111109: "081804", 1234567890: "005924", 2000000000: "279037"} {
		if got := totp(key, time.Unix(unix, 0)); got != want {
			t.Errorf("T=%d: %s, want %s", unix, got, want)
		}
	}
}
