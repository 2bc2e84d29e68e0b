package iutetest

import (
	"errors"
	"math"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// Cents is an amount of money in minor units (1/100 of the local currency).
// Its String form is the vendor's wire format, which is Java's
// Double.toString for the amounts the API handles: "5000.0", "5478.4",
// "1095.68", "0.0".
type Cents int64

// String formats c the way the vendor's XML shows amounts.
func (c Cents) String() string {
	neg := c < 0
	if neg {
		c = -c
	}
	whole, frac := int64(c)/100, int64(c)%100
	var b strings.Builder
	if neg {
		b.WriteByte('-')
	}
	b.WriteString(strconv.FormatInt(whole, 10))
	b.WriteByte('.')
	switch {
	case frac == 0:
		b.WriteByte('0')
	case frac%10 == 0:
		b.WriteString(strconv.FormatInt(frac/10, 10))
	default:
		if frac < 10 {
			b.WriteByte('0')
		}
		b.WriteString(strconv.FormatInt(frac, 10))
	}
	return b.String()
}

// MonthlyRate is the monthly interest rate the sandbox's loan calculator
// applies (an annuity; see the package doc).
const MonthlyRate = 0.045

// Limits the sandbox enforces on loan_amount and loan_duration (the vendor
// doc gives none; see "Choices where the vendor doc is silent").
const (
	MinDuration = 1
	MaxDuration = 60
	MaxAmount   = Cents(100_000_000) // 1,000,000.00
)

var amountRe = regexp.MustCompile(`^[0-9]{1,9}(\.[0-9]{1,2})?$`)

// parseAmount parses a positive decimal with at most two fraction digits.
func parseAmount(s string) (Cents, error) {
	if !amountRe.MatchString(s) {
		return 0, errors.New("must be a number with at most 2 decimal places, e.g. 1000.55")
	}
	whole, frac, _ := strings.Cut(s, ".")
	w, _ := strconv.ParseInt(whole, 10, 64)
	var f int64
	if frac != "" {
		if len(frac) == 1 {
			frac += "0"
		}
		f, _ = strconv.ParseInt(frac, 10, 64)
	}
	c := Cents(w*100 + f)
	if c <= 0 {
		return 0, errors.New("must be greater than 0")
	}
	if c > MaxAmount {
		return 0, errors.New("must not exceed " + MaxAmount.String())
	}
	return c, nil
}

var intRe = regexp.MustCompile(`^[0-9]{1,9}$`)

func parseDuration(s string) (int, error) {
	if !intRe.MatchString(s) {
		return 0, errors.New("must be an integer number of months")
	}
	n, _ := strconv.Atoi(s)
	if n < MinDuration || n > MaxDuration {
		return 0, errors.New("must be between " + strconv.Itoa(MinDuration) + " and " + strconv.Itoa(MaxDuration) + " months")
	}
	return n, nil
}

// Annuity returns the monthly payment and the total repayable amount for a
// principal over months, as loan/calc and new/loan compute them: an annuity
// at MonthlyRate, the payment rounded half-up to cents, and the total equal
// to payment × months (so every installment has the same total).
func Annuity(principal Cents, months int) (monthly, total Cents) {
	p := float64(principal) / 100
	r := MonthlyRate
	m := p * r / (1 - math.Pow(1+r, -float64(months)))
	monthly = Cents(math.Floor(m*100 + 0.5))
	return monthly, monthly * Cents(months)
}

// Date layouts of the API.
const (
	dateLayout      = "02.01.2006" // dd.MM.yyyy, every date in responses and birth_date
	repaymentLayout = "02012006"   // ddMMyyyy, insert/repayment's date
)

var (
	dateRe          = regexp.MustCompile(`^[0-9]{2}\.[0-9]{2}\.[0-9]{4}$`)
	repaymentDateRe = regexp.MustCompile(`^[0-9]{8}$`)
)

func formatDate(t time.Time) string { return t.Format(dateLayout) }

// dayOf truncates t to its calendar date in UTC.
func dayOf(t time.Time) time.Time {
	y, m, d := t.UTC().Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}

// addMonths adds n calendar months to a date, clamping the day to the last
// day of the target month (31.01 + 1 month = 28.02 or 29.02).
func addMonths(t time.Time, n int) time.Time {
	y, m, d := t.Date()
	first := time.Date(y, m+time.Month(n), 1, 0, 0, 0, 0, time.UTC)
	last := first.AddDate(0, 1, -1).Day()
	if d > last {
		d = last
	}
	return time.Date(first.Year(), first.Month(), d, 0, 0, 0, 0, time.UTC)
}

// buildSchedule returns the installment table of a loan taken on day.
func buildSchedule(day time.Time, principal Cents, months int) (monthly, total Cents, inst []Installment) {
	monthly, total = Annuity(principal, months)
	inst = make([]Installment, months)
	for i := range inst {
		inst[i] = Installment{Number: i + 1, DueDate: addMonths(day, i+1), Total: monthly, ToBePaid: monthly}
	}
	return monthly, total, inst
}

// age in whole years on day.
func age(birth, day time.Time) int {
	a := day.Year() - birth.Year()
	if day.Month() < birth.Month() || (day.Month() == birth.Month() && day.Day() < birth.Day()) {
		a--
	}
	return a
}
