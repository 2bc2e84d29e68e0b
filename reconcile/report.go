package reconcile

import "time"

// Report is one reconciliation: every section, per vendor and in total, for
// the report day and the month to date.
type Report struct {
	Day      string // YYYY-MM-DD
	Timezone string
	Periods  []Period
	AsOf     time.Time // when the report was made
	Lake     string    // the lake's URL
	// LakeFiles is how many lake files were read; LastPull the newest
	// extraction per vendor.
	LakeFiles int
	LastPull  map[string]time.Time

	Submissions []Submissions
	Rejections  []Rejection
	Funnel      []Funnel
	Funded      []Funded
	FundedByDay []FundedDay
	Repayments  []Repayment
	Exceptions  []Exception
	// Notes are facts worth knowing that are not exceptions (a receipts
	// file that could not be read, a repayment with nothing to compare).
	Notes []string
}

// Period is a reporting window [From, To).
type Period struct {
	Key   string // "day" or "mtd"
	Label string // "2026-11-21" or "2026-11-01 – 2026-11-21"
	From  time.Time
	To    time.Time
}

func (p Period) has(t time.Time) bool { return !t.IsZero() && !t.Before(p.From) && t.Before(p.To) }

// Total is the vendor (and target) name of total rows.
const Total = "all"

// Submissions counts one push target's rows in a period. A row counts in the
// period its first send attempt (or, for rows rejected before sending, its
// run) started in.
type Submissions struct {
	Period string
	Vendor string
	Target string
	// Sent rows were sent to the vendor; Accepted the vendor took;
	// RejectedVendor it refused (HTTP 4xx) and Failed ended in another
	// error; RejectedValidation were never sent because they broke the
	// vendor's rules; Pending and NeedsHuman have an unknown outcome.
	Sent, Accepted, RejectedVendor, Failed, RejectedValidation, Pending, NeedsHuman int
	// Matchable says whether the target's rows can be found in the lake
	// (leads, loans, payments); Found are accepted rows the latest pull
	// shows, NotSeen are older than the not-seen limit and missing
	// (exceptions), Awaiting are younger and missing.
	Matchable                bool
	Found, NotSeen, Awaiting int
	// Funded accepted rows are funded now (a lead with a funded loan).
	Funded int
}

// Rejection is one row the vendor refused or validation stopped.
type Rejection struct {
	Date     string // the day (report timezone) it was sent or checked
	Vendor   string
	Target   string
	Pipeline string
	Row      int
	Key      string
	Stage    string // validation | vendor | failed
	HTTP     int
	Reason   string
}

// Funnel counts the leads created in a period by their current canonical
// status (a lead counts at the furthest stage of itself or its loans).
type Funnel struct {
	Period string
	Vendor string
	Counts map[string]int // by canonical status
	Total  int
}

// Funded sums the loans funded in a period, per vendor and currency.
type Funded struct {
	Period          string
	Vendor          string
	Currency        string
	Loans           int
	Principal       int64 // cents
	Commission      int64 // cents, over the loans that report one
	CommissionLoans int
}

// FundedDay is one day's funded loans, per vendor and currency.
type FundedDay struct {
	Day        string
	Vendor     string
	Currency   string
	Loans      int
	Principal  int64
	Commission int64
}

// Repayment statuses.
const (
	RepaymentOK         = "ok"
	RepaymentDifference = "difference"
	RepaymentAwaiting   = "awaiting pull"
	RepaymentNotInLake  = "loan not in lake"
	RepaymentUnverified = "unverified"
)

// Repayment compares, for one loan, the repayments leadpipe inserted with
// the change of the loan's `repaid` at the vendor.
type Repayment struct {
	Period   string
	LoanRef  string
	Currency string
	// Pushes and Pushed are the repayments inserted in the period.
	Pushes int
	Pushed int64
	// Since is the extraction the comparison starts from: the latest loan
	// info pulled before the period's first repayment.
	Since time.Time
	// Expected is what leadpipe inserted after Since that a later pull can
	// show; VendorChange is how much `repaid` grew from Since to the latest
	// pull; Difference = VendorChange - Expected.
	Expected, VendorChange, Difference int64
	RepaidNow                          int64
	HasRepaid                          bool
	Status                             string
}

// Exception kinds.
const (
	ExcNotSeen       = "not_seen"
	ExcRepayment     = "repayment_difference"
	ExcPending       = "pending_push"
	ExcNeedsHuman    = "needs_human"
	ExcStale         = "stale_pipeline"
	ExcUnknownValues = "unknown_values"
)

// Exception is something a person must look at.
type Exception struct {
	Kind   string
	Vendor string
	Ref    string // the row key, loan ref or pipeline
	Detail string
	Since  time.Time
}

// ExceptionCounts counts the exceptions by kind.
func (r *Report) ExceptionCounts() map[string]int {
	m := map[string]int{}
	for _, e := range r.Exceptions {
		m[e.Kind]++
	}
	return m
}
