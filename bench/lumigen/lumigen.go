// Package lumigen writes Lumi-shaped leads as JSON lines for the
// benchmarks: the shape of Lumi's "Retrieving Leads" example, with seeded
// values, so a file of N leads is the same on every machine.
package lumigen

import (
	"bufio"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"time"
)

var (
	statuses = []string{"CLOSED", "DECLINED", "EXPIRED", "FUNDED", "MISSED_CALL", "WAITING_FOR_CALL",
		"AWAITING_CREDIT_APPROVAL", "AWAITING_LOAN_DOCUMENTS", "AWAITING_DISBURSEMENT", "IDENTITY_VERIFICATION",
		"SUBMITTED", "CALL_ATTEMPTED", "CREDIT_WAITING_DETAILS", "PROCESSING"}
	lost    = []string{"", "", "", "client_unresponsive", "credit_declined", "duplicate_lead", "other", "has_competitor_loan"}
	first   = []string{"Olivia", "Jack", "Mia", "Noah", "Ava", "Liam", "Emma", "Oscar", "Chloe", "William", "Grace", "Henry"}
	last    = []string{"Nguyen", "Wilson", "Patel", "Smith", "Brown", "Jones", "Taylor", "Martin", "Lee", "Harris", "King"}
	states  = []string{"NSW", "VIC", "QLD", "WA", "SA", "TAS", "ACT", "NT"}
	cities  = []string{"Sydney", "Melbourne", "Brisbane", "Perth", "Adelaide", "Hobart", "Canberra", "Darwin", "Geelong"}
	reasons = []string{"cash_flow", "buy_equipment", "buy_inventory", "marketing_spend", "renovations", "paying_staff"}
	inds    = []string{"A", "C", "E", "G", "H", "I", "M", "Q", "S"}
)

// Addr is an address of a lead.
type Addr struct {
	StreetNumber string `json:"street_number"`
	Street       string `json:"street"`
	City         string `json:"city"`
	PostalCode   string `json:"postal_code"`
	State        string `json:"state"`
	Country      string `json:"country"`
}

// Lead is the shape of a lead in Lumi's "Retrieving Leads" example.
type Lead struct {
	ID                   string   `json:"id"`
	Status               string   `json:"status"`
	LostReason           string   `json:"lost_reason"`
	CreditDeclineReasons []string `json:"credit_decline_reasons"`
	Stakeholder          struct {
		FirstName                string `json:"first_name"`
		LastName                 string `json:"last_name"`
		Email                    string `json:"email"`
		Phone                    string `json:"phone"`
		BirthDate                string `json:"birth_date"`
		Address                  Addr   `json:"address"`
		DriversLicenseNumber     string `json:"drivers_license_number"`
		DriversLicenseState      string `json:"drivers_license_state"`
		DriversLicenseCardNumber string `json:"drivers_license_card_number"`
		HasProperty              string `json:"has_property"`
		PropertyInfo             string `json:"property_info"`
	} `json:"stakeholder"`
	Company struct {
		Name                   string `json:"name"`
		ABN                    string `json:"abn"`
		Industry               string `json:"industry"`
		Address                Addr   `json:"address"`
		AverageMonthlyTurnover int    `json:"average_monthly_turnover"`
		Website                string `json:"website"`
		NumberOfEmployees      int    `json:"number_of_employees"`
		ATODebt                string `json:"ato_debt"`
		ATODebtDetails         string `json:"ato_debt_details"`
		CreditScore            int    `json:"credit_score"`
		HasOtherLoans          string `json:"has_other_loans"`
		OtherLoanDetails       string `json:"other_loan_details"`
	} `json:"company"`
	Loan struct {
		ReasonForLoan     []string `json:"reason_for_loan"`
		UseOfFunds        string   `json:"use_of_funds"`
		RequestedAmount   int      `json:"requested_amount"`
		ApplicationType   string   `json:"application_type"`
		Installments      int      `json:"installments"`
		Amount            int      `json:"amount"`
		PreferredLoanType string   `json:"preferred_loan_type"`
	} `json:"loan"`
	BrokerNotes   string `json:"broker_notes"`
	CreatedAt     string `json:"created_at"`
	UpdatedAt     string `json:"updated_at"`
	LoanID        string `json:"loan_id"`
	ApplicationID string `json:"application_id"`
	ExternalID    string `json:"external_id"`
}

// Generate writes n Lumi-shaped leads, one JSON object per line. With a
// keep function, lead i is written only when keep returns true, after
// keep changed it as it likes: the same leads, some of them changed later
// (an incremental run's input).
func Generate(path string, n int, seed uint64, keep func(i int, l *Lead) bool) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	defer f.Close()
	w := bufio.NewWriterSize(f, 1<<20)
	r := rand.New(rand.NewPCG(seed, seed^0x51))
	syd := time.FixedZone("AEST", 10*3600)
	base := time.Date(2026, 1, 1, 9, 0, 0, 0, syd)
	enc := json.NewEncoder(w)
	for i := range n {
		var l Lead
		pick := func(s []string) string { return s[r.IntN(len(s))] }
		l.ID = fmt.Sprintf("%024x", uint64(i)*2654435761+seed)
		l.Status = pick(statuses)
		l.LostReason = pick(lost)
		l.CreditDeclineReasons = []string{}
		if l.LostReason == "credit_declined" {
			l.CreditDeclineReasons = []string{"insufficient_sales"}
		}
		s := &l.Stakeholder
		s.FirstName, s.LastName = pick(first), pick(last)
		s.Email = fmt.Sprintf("%s.%s%d@example.com.au", s.FirstName, s.LastName, i)
		switch i % 3 {
		case 0:
			s.Phone = fmt.Sprintf("04%02d-%03d-%03d", r.IntN(100), r.IntN(1000), r.IntN(1000))
		case 1:
			s.Phone = fmt.Sprintf("+614%08d", r.IntN(100000000))
		default:
			s.Phone = fmt.Sprintf("04%02d %03d %03d", r.IntN(100), r.IntN(1000), r.IntN(1000))
		}
		s.BirthDate = time.Date(1950+r.IntN(50), time.Month(1+r.IntN(12)), 1+r.IntN(28), 0, 0, 0, 0, time.UTC).Format("2006-01-02")
		st := pick(states)
		s.Address = Addr{fmt.Sprint(1 + r.IntN(300)), "Sprint Street", pick(cities), fmt.Sprintf("%04d", 800+r.IntN(7000)), st, "Australia"}
		s.DriversLicenseNumber = fmt.Sprintf("%09d", r.IntN(1000000000))
		s.DriversLicenseState = st
		s.DriversLicenseCardNumber = fmt.Sprintf("CN%09d", r.IntN(1000000000))
		s.HasProperty = pick([]string{"yes", "no", "unknown"})
		c := &l.Company
		c.Name = fmt.Sprintf("%s %s Pty Ltd", s.LastName, pick([]string{"Plumbing", "Cafe", "Logistics", "Dental", "Autos", "Florist"}))
		if i%4 == 0 {
			c.ABN = fmt.Sprintf("%09d", r.IntN(1000000000))
		} else {
			c.ABN = fmt.Sprintf("%011d", r.Int64N(100000000000))
		}
		c.Industry = pick(inds)
		c.Address = Addr{fmt.Sprint(1 + r.IntN(300)), "George Street", pick(cities), fmt.Sprintf("%04d", 800+r.IntN(7000)), pick(states), "Australia"}
		c.AverageMonthlyTurnover = 10000 + r.IntN(500000)
		c.Website = "www.example.com.au"
		c.NumberOfEmployees = 1 + r.IntN(200)
		c.ATODebt, c.HasOtherLoans = pick([]string{"yes", "no"}), pick([]string{"yes", "no", "unknown"})
		c.CreditScore = 300 + r.IntN(600)
		lo := &l.Loan
		lo.ReasonForLoan = []string{pick(reasons)}
		lo.UseOfFunds = "Purchasing new equipment"
		lo.RequestedAmount = 5000 + 500*r.IntN(590)
		lo.ApplicationType = pick([]string{"REGULAR", "REGULAR", "REFINANCE_INTERNAL", "REFINANCE_EXTERNAL"})
		lo.Installments = 13 + r.IntN(66)
		lo.Amount = lo.RequestedAmount
		lo.PreferredLoanType = pick([]string{"term-loan", "line-of-credit"})
		l.BrokerNotes = "some notes"
		created := base.Add(time.Duration(r.Int64N(int64(300 * 24 * time.Hour))))
		l.CreatedAt = created.Format(time.RFC3339)
		l.UpdatedAt = created.Add(time.Duration(r.IntN(100000)) * time.Second).Format(time.RFC3339)
		l.LoanID = fmt.Sprintf("%024x", uint64(i)*7919+1)
		l.ApplicationID = fmt.Sprintf("%024x", uint64(i)*104729+3)
		if i%2 == 0 {
			l.ExternalID = fmt.Sprintf("P-%07d", i)
		}
		if keep != nil && !keep(i, &l) {
			continue
		}
		if err := enc.Encode(&l); err != nil {
			return err
		}
	}
	return w.Flush()
}
