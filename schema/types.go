// Package schema is the canonical schema: the contract between leadpipe and
// the analysts who query its output. Every vendor is normalized into these
// tables, with money as fixed-point decimals, timestamps in UTC microseconds
// and dates as dates.
//
// The row types are plain structs so connectors can fill them cheaply. The
// Table descriptors derived from their `col` tags drive every consumer that
// works column by column (the Parquet and CSV writers, redaction, select), so
// a column is declared exactly once.
package schema

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Money is an amount with exactly two decimal places, stored as an integer
// number of cents. It maps to Parquet DECIMAL(18,2). It is never a float.
type Money struct {
	Cents int64
	Valid bool
}

// Rate is a ratio such as an interest rate (0.2424 = 24.24%) with six decimal
// places, stored as an integer number of millionths. It maps to DECIMAL(18,6).
type Rate struct {
	Micros int64
	Valid  bool
}

// Timestamp is an instant in UTC with microsecond precision. It maps to
// Parquet TIMESTAMP(MICROS, isAdjustedToUTC=true).
type Timestamp struct {
	Micros int64
	Valid  bool
}

// Date is a calendar day without a time. It maps to Parquet DATE.
type Date struct {
	Days  int32 // days since 1970-01-01
	Valid bool
}

// Int is an optional integer.
type Int struct {
	V     int64
	Valid bool
}

// ErrDecimal reports a number that is not a plain decimal.
var ErrDecimal = errors.New("not a decimal number")

// ParseMoney parses a decimal amount such as "1234.5", "1,234.50", "-12" or
// "123.00" without going through floating point. More than two decimals are
// rounded half away from zero, which is how money is rounded on statements.
// An empty string is an invalid (null) amount and no error.
func ParseMoney(s string) (Money, error) {
	v, ok, err := parseFixed(s, 2)
	return Money{Cents: v, Valid: ok}, err
}

// ParseRate parses a ratio with up to six decimals, e.g. "0.2424".
func ParseRate(s string) (Rate, error) {
	v, ok, err := parseFixed(s, 6)
	return Rate{Micros: v, Valid: ok}, err
}

// MoneyFromCents builds a valid Money.
func MoneyFromCents(c int64) Money { return Money{Cents: c, Valid: true} }

// String formats the amount with two decimals, e.g. "-1234.50".
func (m Money) String() string {
	if !m.Valid {
		return ""
	}
	return formatFixed(m.Cents, 2)
}

// String formats the rate with up to six decimals, e.g. "0.2424".
func (r Rate) String() string {
	if !r.Valid {
		return ""
	}
	s := formatFixed(r.Micros, 6)
	s = strings.TrimRight(s, "0")
	return strings.TrimSuffix(s, ".")
}

// PercentToRate converts a percentage (10 = 10%) to a Rate (0.10).
func PercentToRate(p Rate) Rate {
	if !p.Valid {
		return p
	}
	return Rate{Micros: roundDiv(p.Micros, 100), Valid: true}
}

func roundDiv(a, b int64) int64 {
	q, r := a/b, a%b
	if 2*abs(r) >= b {
		if a < 0 {
			q--
		} else {
			q++
		}
	}
	return q
}

func abs(v int64) int64 {
	if v < 0 {
		return -v
	}
	return v
}

func formatFixed(v int64, scale int) string {
	neg := v < 0
	if neg {
		v = -v
	}
	digits := strconv.FormatInt(v, 10)
	for len(digits) <= scale {
		digits = "0" + digits
	}
	out := digits[:len(digits)-scale] + "." + digits[len(digits)-scale:]
	if neg {
		return "-" + out
	}
	return out
}

// parseFixed turns decimal text into an integer scaled by 10^scale. It
// accepts thousands separators (",", "_", " ") in the integer part, a leading
// sign, and surrounding whitespace.
func parseFixed(s string, scale int) (int64, bool, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return 0, false, nil
	}
	neg := false
	switch s[0] {
	case '-':
		neg, s = true, s[1:]
	case '+':
		s = s[1:]
	}
	var intPart, frac uint64
	var fracDigits int
	seenDigit, seenDot := false, false
	roundUp := false
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= '0' && c <= '9':
			seenDigit = true
			d := uint64(c - '0')
			if !seenDot {
				if intPart > (1<<62)/10 {
					return 0, false, fmt.Errorf("%q: %w: too large", s, ErrDecimal)
				}
				intPart = intPart*10 + d
			} else if fracDigits < scale {
				frac = frac*10 + d
				fracDigits++
			} else if fracDigits == scale {
				roundUp = d >= 5
				fracDigits++ // only the first dropped digit decides
			}
		case c == '.' && !seenDot:
			seenDot = true
		case (c == ',' || c == '_' || c == ' ') && !seenDot && seenDigit:
			// thousands separator
		default:
			return 0, false, fmt.Errorf("%q: %w", s, ErrDecimal)
		}
	}
	if !seenDigit {
		return 0, false, fmt.Errorf("%q: %w", s, ErrDecimal)
	}
	for n := min(fracDigits, scale); n < scale; n++ {
		frac *= 10
	}
	mult := uint64(1)
	for range scale {
		mult *= 10
	}
	if intPart > (1<<63-1)/mult {
		return 0, false, fmt.Errorf("%q: %w: too large", s, ErrDecimal)
	}
	v := int64(intPart*mult + frac)
	if roundUp {
		v++
	}
	if neg {
		v = -v
	}
	return v, true, nil
}

// TimestampOf converts t to a Timestamp; the zero time is null.
func TimestampOf(t time.Time) Timestamp {
	if t.IsZero() {
		return Timestamp{}
	}
	return Timestamp{Micros: t.UnixMicro(), Valid: true}
}

// Time returns the instant in UTC (zero time when null).
func (t Timestamp) Time() time.Time {
	if !t.Valid {
		return time.Time{}
	}
	return time.UnixMicro(t.Micros).UTC()
}

// String formats as RFC 3339 with microseconds in UTC.
func (t Timestamp) String() string {
	if !t.Valid {
		return ""
	}
	return t.Time().Format("2006-01-02T15:04:05.999999Z")
}

// DateOf converts the calendar day of t (in t's own location) to a Date.
func DateOf(t time.Time) Date {
	if t.IsZero() {
		return Date{}
	}
	y, m, d := t.Date()
	u := time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
	return Date{Days: int32(u.Unix() / 86400), Valid: true}
}

// Time returns midnight UTC of the date.
func (d Date) Time() time.Time {
	if !d.Valid {
		return time.Time{}
	}
	return time.Unix(int64(d.Days)*86400, 0).UTC()
}

// String formats as YYYY-MM-DD.
func (d Date) String() string {
	if !d.Valid {
		return ""
	}
	return d.Time().Format("2006-01-02")
}

// IntOf builds a valid Int.
func IntOf(v int64) Int { return Int{V: v, Valid: true} }

// String formats the integer, or "" when null.
func (i Int) String() string {
	if !i.Valid {
		return ""
	}
	return strconv.FormatInt(i.V, 10)
}
