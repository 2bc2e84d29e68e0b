package mapping

import (
	"fmt"
	"strings"
	"unicode"

	"github.com/leadpipe/leadpipe/connectors"
)

// An amount in a spreadsheet often carries its currency: "$20,000",
// "USD 20,000", "£20,000", "20000 EUR". Stripping the marker and sending
// 20000 to a vendor that lends in another currency would send the wrong
// amount without a word, so a marker is checked against the field:
//
//   - a field whose vendor documents plain numbers only (Field.PlainNumber:
//     Bizcap's doc gives "$20,000" as its example of an incorrect amount)
//     rejects any marker;
//   - a field in one currency (Field.Currency) accepts a marker of that
//     currency and rejects any other, and a bare "$" (which names no
//     currency: AUD, NZD, USD...);
//   - any other number field reads the marker as before.

// symbols are the currency signs read in amounts; "" is a sign that names
// no one currency.
var symbols = []struct{ sign, code string }{
	{"A$", "AUD"}, {"AU$", "AUD"}, {"NZ$", "NZD"}, {"US$", "USD"}, {"C$", "CAD"}, {"CA$", "CAD"},
	{"S$", "SGD"}, {"HK$", "HKD"}, {"$", ""}, {"£", "GBP"}, {"€", "EUR"}, {"¥", ""}, {"₹", "INR"},
	{"lei", "MDL"},
}

// currencyMarker finds a currency marker at either end of an amount: a sign
// ($, A$, £, €...) or a three-letter code (USD, AUD...), around a number. It
// returns the marker as written and the currency it names ("" for a sign
// that names none). A sign may stand before the marker ("-$20").
func currencyMarker(s string) (marker, code string, found bool) {
	t := strings.TrimSpace(s)
	t = strings.TrimSpace(strings.TrimLeft(t, "+-"))
	number := func(rest string) bool {
		rest = strings.TrimSpace(rest)
		_, err := ParseNumber(strings.TrimLeft(rest, "+-"))
		return rest != "" && err == nil && !strings.ContainsAny(rest, "$€£¥₹") && !hasCode(rest)
	}
	up := strings.ToUpper(t)
	for _, sym := range symbols {
		sign := strings.ToUpper(sym.sign)
		if strings.HasPrefix(up, sign) && number(t[len(sign):]) {
			return t[:len(sign)], sym.code, true
		}
		if strings.HasSuffix(up, sign) && number(t[:len(t)-len(sign)]) {
			return t[len(t)-len(sign):], sym.code, true
		}
	}
	if len(t) > 3 && isCode(t[:3]) && number(t[3:]) {
		return t[:3], strings.ToUpper(t[:3]), true
	}
	if len(t) > 3 && isCode(t[len(t)-3:]) && number(t[:len(t)-3]) {
		return t[len(t)-3:], strings.ToUpper(t[len(t)-3:]), true
	}
	return "", "", false
}

// isCode reports a three-letter (ISO 4217 shaped) word.
func isCode(w string) bool {
	if len(w) != 3 {
		return false
	}
	for _, r := range w {
		if !unicode.IsLetter(r) || r > unicode.MaxASCII {
			return false
		}
	}
	return true
}

// hasCode reports a three-letter word at either end (a second marker).
func hasCode(s string) bool {
	return len(s) >= 3 && (isCode(s[:3]) || isCode(s[len(s)-3:]))
}

// checkCurrency applies the field's currency rule to an input amount.
func checkCurrency(s string, f connectors.Field) error {
	if !f.PlainNumber && f.Currency == "" {
		return nil
	}
	marker, code, ok := currencyMarker(s)
	if !ok {
		return nil
	}
	switch {
	case f.PlainNumber:
		return fmt.Errorf("%q carries a currency marker (%s); the vendor takes plain numbers only: write the amount without it", s, marker)
	case code == "":
		return fmt.Errorf("%q: %q names no one currency (AUD, NZD, USD...); this field is in %s: write a plain number, or %s before it", s, marker, f.Currency, f.Currency)
	case code != f.Currency:
		return fmt.Errorf("%q is in %s; this field is in %s: convert it, leadpipe never does", s, code, f.Currency)
	}
	return nil
}
