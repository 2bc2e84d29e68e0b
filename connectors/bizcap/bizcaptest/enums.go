package bizcaptest

// StatusGroup is one documented status with its documented sub-statuses.
type StatusGroup struct {
	Status      string
	SubStatuses []string
}

// LeadStatuses lists every lead status and sub-status in the "Lead Status"
// table of the vendor document, in the document's order.
var LeadStatuses = []StatusGroup{
	{"New", []string{"Received", "Pending Duplicate Review"}},
	{"Attempting Contact", []string{"Attempting 1", "Attempting 2", "Attempting 3", "Attempting 4"}},
	{"Difficulty Contacting", []string{"Attempting 5", "Attempting 6", "Attempting 7", "Attempting 8"}},
	{"Waiting on Customer", []string{"Call Back Customer", "Doing Application", "Customer requested email only", "Work in progress", "With Broker"}},
	{"Not Progressing", []string{"No longer Required", "Not ready", "No reason provided", "Cost", "Got another loan facility", "Term too short", "Loan amount too low"}},
	{"Unreachable", []string{"Wrong details"}},
	{"Closed", []string{"Duplicate", "Do not contact", "Unqualified"}},
	{"Converted", []string{"Banks In"}},
}

// DealStatuses lists every deal status and sub-status the vendor document
// names. The document has two lists that disagree in places: the portal
// guide's "Deal Status" table and the API's "Possible Values" table under
// GET /deal/{id}. This is their union, every spelling kept verbatim
// ("Contact Drafting" and "Contract Drafting", "Credit history" and
// "Credit History", ...), because a real account can return either.
var DealStatuses = []StatusGroup{
	{"Application Received", []string{"Banks In"}},
	{"In Progress", []string{"Under Review", "Scrubbing", "Scrubbing Complete", "Submitted to Credit"}},
	{"Additional Info Required", []string{"Pending info - with customer", "Pending info - with ISO", "Pending info"}},
	{"Approved", []string{"Pending Stips", "Pending Presentation", "Offer Made", "With ISO"}},
	{"Contract Requested", []string{"Contract Requested", "Contract Pending Info"}},
	{"Contract Draft", []string{
		"Contract Draft", "Contact Drafting", "Contract Drafted", "Contract Draft - Pending info", // portal guide
		"Contract Drafting", "Contract Draft - Pending Info", "Pre-Send Review", // API table
	}},
	{"Contracts Sent", []string{"Contract Sent", "Sent by SS", "Sent by DS", "DS Contract Viewed", "No Response"}},
	{"Pending Settlement", []string{
		"Contract Signed", "Pre-Final Review", "Final Review", "Final Review - Pending Info", "Pending Funding Call",
		"Funding Call Complete", "Funding Waiting Approval", "Pre-Final Review - Pending Info",
		"Funding Call Complete - Awaiting Stips",                        // portal guide
		"Final Review Working", "Pending Funding Call - Awaiting Stips", // API table
	}},
	{"Settled", []string{"Performing", "Not performing", "Defaulted", "Closed"}},
	{"Withdrawn", []string{"Term too short", "Cost", "No longer Required", "Loan Amount Too Low", "Got another loan facility", "Not Ready", "No reason provided"}},
	{"On Hold", []string{"On Hold", "On Hold - Credit", "On Hold - Customer"}},
	{"Declined", []string{
		"Time in business too short", "Revenue too low", "Serviceability", "Credit history", "Bank Statement conduct",
		"ATO debt", "Other debts", "Not a business", "High risk industry", "Prohibited industry",
		"Insufficient Documentation", "Integrity of applicants", "Has competitor loan", "Rejected By Credit",
		"Customer Declined",                        // portal guide
		"Credit History", "Bank statement conduct", // API table spellings
	}},
}

// Documented enumerations of the lead and deal fields.
var (
	LoanTypes                = []string{"New", "Renewal", "Add On", "Refinance"}
	CallClientOrBrokerValues = []string{"Call Client", "Call Broker"}
	CitizenshipStatuses      = []string{"Permanent Resident", "Temporary Resident", "Citizen"}
	YesNo                    = []string{"Yes", "No"} // homeOwner, soleDirector
	LoanPurposes             = []string{
		"Equipment Purchase", "Inventory / Stock Purchase", "Expansion & Growth", "Working Capital / Cashflow",
		"Paying off a Business Debt", "Renovation", "Other",
	}
	SuitableProducts = []string{"LOC", "2nd Mortgage", "Business Loan"}
	AttachmentTypes  = []string{"Bank Statements", "Proof of Identity or ID", "Image"}
)

// Values the vendor document does not enumerate; the sandbox's generated
// data uses these (see "Choices where the vendor doc is silent" in doc.go).
var (
	LeadSources           = []string{"API", "Partner Portal", "Bulk Upload"}
	CollectionFrequencies = []string{"Daily", "Weekly", "Fortnightly", "Monthly"}
	AdvanceTypes          = []string{"Business Loan", "LOC", "2nd Mortgage"}
)

// Values that InjectUnknownValues puts into the dataset. None is documented.
const (
	UnknownLeadStatus            = "Archived"
	UnknownLeadSubStatus         = "Merged"
	UnknownNewSubStatus          = "Pending AI Review" // under the documented status "New"
	UnknownDealStatus            = "Funded"
	UnknownDealSubStatus         = "Awaiting Disbursement"
	UnknownSettledSubStatus      = "Paid Out Early" // under the documented status "Settled"
	UnknownLoanType              = "Top Up"
	UnknownCitizenshipStatus     = "Visa Holder"
	UnknownLoanPurpose           = "Tax Debt"
	UnknownSuitableProduct       = "Invoice Finance"
	UnknownCallClientOrBroker    = "Call Both"
	UnknownLeadSource            = "Marketplace"
	UnknownCollectionFrequency   = "Bi-Weekly"
	UnknownAdvanceType           = "Revenue Based Finance"
	unknownInjectionEveryNthLead = 20
)

func contains(list []string, v string) bool {
	for _, x := range list {
		if x == v {
			return true
		}
	}
	return false
}

// validStatus reports whether status/subStatus is a documented pair of groups.
func validStatus(groups []StatusGroup, status, subStatus string) bool {
	for _, g := range groups {
		if g.Status == status {
			return contains(g.SubStatuses, subStatus)
		}
	}
	return false
}
