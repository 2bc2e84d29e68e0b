package reconcile

import (
	"fmt"
	"strconv"
	"strings"
)

// Money is an amount in cents of one currency. Amounts of different
// currencies are never added together: every total is per currency.
type Money struct {
	Cents    int64
	Currency string
}

// String formats for people: the currency, thousands separators and two
// decimals ("AUD 1,234,567.50", "MDL -12.00").
func (m Money) String() string {
	cur := m.Currency
	if cur == "" {
		cur = "???"
	}
	return cur + " " + groupCents(m.Cents)
}

// groupCents formats cents with thousands separators and two decimals.
func groupCents(c int64) string {
	neg := c < 0
	u := uint64(c)
	if neg {
		u = uint64(-c)
	}
	whole := strconv.FormatUint(u/100, 10)
	var b strings.Builder
	if neg {
		b.WriteByte('-')
	}
	for i, r := range whole {
		if i > 0 && (len(whole)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(r)
	}
	fmt.Fprintf(&b, ".%02d", u%100)
	return b.String()
}

// plainCents formats cents for spreadsheets: "-1234.50" (no separators,
// so that the cell is a number; the currency is its own column).
func plainCents(c int64) string {
	neg := c < 0
	u := uint64(c)
	if neg {
		u = uint64(-c)
	}
	s := fmt.Sprintf("%d.%02d", u/100, u%100)
	if neg {
		return "-" + s
	}
	return s
}

// percent formats a ratio with one decimal ("12.5%"), or "—" when the
// denominator is zero.
func percent(num, den int) string {
	if den == 0 {
		return "—"
	}
	return fmt.Sprintf("%.1f%%", 100*float64(num)/float64(den))
}
