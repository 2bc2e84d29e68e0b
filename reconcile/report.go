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
	// Undated are funded loans nothing gives a funding date for: they are
	// in no period's funded figure.
	Undated    []UndatedFunded
	Repayments []Repayment
	Exceptions []Exception
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

// Total is the vendor name of total rows (one kind of submission, or one
// currency, over the vendors).
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
	// Waiting rows were not sent: the vendor does not accept them yet (an
	// Iute cash release before Iute allows it). They are not in Sent.
	Waiting int
	// Matchable says whether the target's rows can be found in the lake
	// (leads, loans, payments); Found are accepted rows the latest pull
	// shows, NotSeen are older than the not-seen limit and missing
	// (exceptions), Awaiting are younger and missing.
	Matchable                bool
	Found, NotSeen, Awaiting int
	// Funded accepted rows are funded now (a lead with a funded loan);
	// Fundable says whether the target's rows can be (leads and loans).
	Funded   int
	Fundable bool
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
	// DatedBy says what gave the loans' funding dates (DatedByVendor,
	// DatedByPayout; "; "-separated when both).
	DatedBy string
}

// What gives a funded loan its funding date.
const (
	DatedByVendor = "vendor's funded_at"
	DatedByPayout = "payout confirmed by leadpipe"
)

// UndatedFunded counts funded loans with no funding date (the vendor gives
// none, and the payout did not go through leadpipe), by the pulls that saw
// them: they are never counted in a day's funded figure.
type UndatedFunded struct {
	Vendor, Currency string
	// SeenFunded is the day of the first pull that saw the loans funded;
	// SeenNotFunded the day of the last pull before it that saw them not
	// funded yet, "" when the first pull already saw them funded (funded
	// before leadpipe tracked them: an imported loan book).
	SeenFunded, SeenNotFunded string
	Loans                     int
	Principal                 int64
}

// Describe says what is known of the loans' funding.
func (u UndatedFunded) Describe() string {
	if u.SeenNotFunded == "" {
		return "tracked from " + u.SeenFunded + ", funded before tracking"
	}
	return "funded between the pulls of " + u.SeenNotFunded + " and " + u.SeenFunded + "; no funding date"
}

// FundedDay is one day's funded loans, per vendor and currency.
type FundedDay struct {
	Day             string
	Vendor          string
	Currency        string
	Loans           int
	Principal       int64
	Commission      int64 // over the loans that report one
	CommissionLoans int
	DatedBy         string
}

// Repayment statuses.
const (
	RepaymentOK         = "ok"
	RepaymentDifference = "difference"
	RepaymentAwaiting   = "awaiting pull"
	RepaymentNotInLake  = "loan not in lake"
	RepaymentUnverified = "unverified"
	// The balance says whether repayments with an unknown outcome arrived:
	// it moved by them too (in), or only by the confirmed ones (out).
	RepaymentUnconfirmedIn  = "unconfirmed, balance shows them"
	RepaymentUnconfirmedOut = "unconfirmed, balance does not show them"
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
	// Unconfirmed repayments were sent in the period with an unknown
	// outcome (needs_human or pending): they may or may not be in the
	// vendor's balance, which is the evidence.
	Unconfirmed       int
	UnconfirmedAmount int64
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
	ExcNoData        = "no_data"
)

// excKinds orders the exception kinds.
var excKinds = []string{ExcNoData, ExcNotSeen, ExcRepayment, ExcPending, ExcNeedsHuman, ExcStale, ExcUnknownValues}

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
