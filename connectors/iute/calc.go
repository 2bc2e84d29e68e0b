package iute

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/leadpipe/leadpipe/connectors"
	"github.com/leadpipe/leadpipe/connectors/httpclient"
	"github.com/leadpipe/leadpipe/schema"
)

// Calculation is loan/calc's answer.
type Calculation struct {
	Amount             schema.Money // the amount asked about
	Months             int
	FirstRepaymentDate schema.Date
	MonthlyPayment     schema.Money
	TotalLoanAmount    schema.Money // all fees and interest included
	Currency           string
}

// Calc asks Iute's loan calculator (POST loan/calc) for the monthly payment,
// the total repayable amount and the first repayment date of a loan of
// amount (decimal text such as "1000.55") over months months. cfg is a
// decoded, valid iute config; this is what `leadpipe iute calc --amount
// --months` calls. A 400 comes back as a *connectors.RejectedError with the
// vendor's reason.
func Calc(ctx context.Context, cfg *Config, amountText string, months int) (*Calculation, error) {
	if cfg == nil {
		return nil, errors.New("iute calc: no config")
	}
	amt, msg := amount(connectors.Record{Fields: map[string]any{"amount": connectors.Number(strings.TrimSpace(amountText))}}, "amount")
	if msg != "" {
		return nil, fmt.Errorf("iute calc: amount %s", msg)
	}
	if months < 1 {
		return nil, fmt.Errorf("iute calc: months must be at least 1, got %d", months)
	}
	c := newClient(cfg, connectors.Env{})
	resp, err := c.do(ctx, call{op: opCalc, method: http.MethodPost, idempotent: true,
		params: url.Values{"loan_amount": {amt}, "loan_duration": {strconv.Itoa(months)}}})
	if err != nil {
		fields := map[string]bool{"loan_amount": true, "loan_duration": true, "partner_type": true}
		return nil, c.sendError("calculate iute loan conditions", resp, err, fields, "")
	}
	var out calcXML
	if err := decodeXML(resp.Body, &out, "loan_calc", "loan"); err != nil {
		return nil, fmt.Errorf("iute: calculate loan conditions: %w", err)
	}
	calc := &Calculation{Months: months, Currency: cfg.Currency}
	calc.Amount, _ = parseAmount(amt)
	var ok1, ok2, ok3 bool
	calc.FirstRepaymentDate, ok1 = parseDate(out.FirstRepaymentDate)
	calc.MonthlyPayment, ok2 = parseAmount(out.MonthlyPayment)
	calc.TotalLoanAmount, ok3 = parseAmount(out.TotalLoanAmount)
	if !ok1 || !ok2 || !ok3 {
		return nil, fmt.Errorf("iute: calculate loan conditions: %w: unreadable values (%s)", httpclient.ErrMalformedResponse, snippet(resp.Body))
	}
	return calc, nil
}

// String formats the calculation for people.
func (c *Calculation) String() string {
	return fmt.Sprintf("%s %s over %d months: %s %s a month, %s %s in total, first repayment on %s",
		c.Amount, c.Currency, c.Months, c.MonthlyPayment, c.Currency, c.TotalLoanAmount, c.Currency,
		c.FirstRepaymentDate.Time().Format(DateLayout))
}
