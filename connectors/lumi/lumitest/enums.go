package lumitest

import "slices"

// Documented enumerations. The exported functions return fresh copies so a
// caller cannot change what the simulator validates against.

var statuses = []string{
	"CLOSED", "DECLINED", "EXPIRED", "FUNDED", "MISSED_CALL", "WAITING_FOR_CALL",
	"AWAITING_CREDIT_APPROVAL", "AWAITING_LOAN_DOCUMENTS", "AWAITING_DISBURSEMENT",
	"IDENTITY_VERIFICATION", "SUBMITTED", "CALL_ATTEMPTED", "CREDIT_WAITING_DETAILS", "PROCESSING",
}

var lostReasons = []string{
	"unable_to_meet_capital_requirements", "has_competitor_loan", "funded_prior_to_lead_submitted",
	"company_age_too_low", "insufficient_monthly_turnover", "individual_veda_too_low",
	"fails_age_requirements", "starting_a_business", "looking_to_buy_a_business_no_existing_business",
	"client_declined_cost", "client_unresponsive", "credit_declined", "duplicate_lead",
	"incorrect_details", "client_declined_loan_not_required", "other",
}

// lost reasons that come with a DECLINED status (the others come with CLOSED).
var declinedLostReasons = map[string]bool{
	"company_age_too_low": true, "insufficient_monthly_turnover": true, "individual_veda_too_low": true,
	"fails_age_requirements": true, "starting_a_business": true,
	"looking_to_buy_a_business_no_existing_business": true, "credit_declined": true,
}

var creditDeclineReasons = []string{
	"insufficient_sales", "insufficient_credit_score_restricted_sector",
	"insufficient_credit_score_general_sector", "excessive_dishonours_cash_flow_unsuitable",
	"excluded_sector", "character", "time_in_business", "concurrent_loans", "bankruptcy",
	"excessive_ato_debt", "no_servicing_evident", "excessive_gambling", "adverse_credit_event",
	"poor_existing_lumi_conduct", "other",
}

var applicationStatuses = []string{"IN_PROCESS", "SUBMITTED"}
var applicationTypes = []string{"REGULAR", "REFINANCE_INTERNAL", "REFINANCE_EXTERNAL"}
var loanProductTypes = []string{"DYNAMIC_TERM_LOAN", "REVOLVING_CREDIT"}

// Event types: the doc's list, plus STATUS_CHANGE which its examples use.
var eventTypes = []string{"STATUS_CHANGE", "STATUS_UPDATED", "DOCUMENT_CAPTURE", "LOAN_DOCUMENTS", "CALL", "EMAIL"}
var directions = []string{"INBOUND", "OUTBOUND"}
var loanDocumentTexts = []string{"SENT", "SIGNED"}
var documentCaptureTexts = []string{"SENT", "COMPLETED"}

var licenseStates = []string{"ACT", "NSW", "NT", "QLD", "SA", "TAS", "VIC", "WA"}
var yesNoUnknown = []string{"yes", "no", "unknown"}
var preferredLoanTypes = []string{"term-loan", "line-of-credit"}
var industries = []string{"A", "B", "C", "D", "E", "F", "G", "H", "I", "J", "K", "L", "M", "N", "O", "OD", "P", "Q", "R", "S", "X"}

var loanReasons = []LoanReason{
	{"buy_equipment", "Buying Equipment"},
	{"cash_flow", "Cash Flow"},
	{"buy_inventory", "Buy Inventory"},
	{"paying_off_existing_debt", "Pay off existing debt"},
	{"marketing_spend", "Marketing Spend"},
	{"paying_staff", "Wages/New Hires"},
	{"tax", "Pay off tax tebt"},
	{"relocation", "Relocation"},
	{"renovations", "Renovations"},
	{"buy_a_business", "Buy a Business"},
	{"start_a_business", "Start a Business"},
	{"relocation_expansion", "Renovation or Relocation (WARNING - value will be deprecated in the coming months)"},
	{"buy_or_start_a_business", "Buy or Start a Business (WARNING - value will be deprecated in the coming months)"},
	{"other", "Other (WARNING - value will be deprecated in the coming months)"},
}

var documentTypes = []string{
	"PNL_REPORT", "BALANCE_SHEET_REPORT", "DRIVERS_LICENSE_FRONT", "DRIVERS_LICENSE_BACK",
	"BANK_STATEMENTS", "BROKER_APPLICATION_FORM", "BROKER_PRIVACY_FORM",
}

var contentTypes = []string{
	"application/msword", "application/pdf", "application/vnd.ms-excel", "application/vnd.ms-outlook",
	"application/vnd.openxmlformats-officedocument.presentationml.presentation",
	"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
	"application/vnd.openxmlformats-officedocument.wordprocessingml.document",
	"image/bmp", "image/gif", "image/heic", "image/heif", "image/jpeg", "image/png", "image/tiff",
	"image/webp", "message/rfc822", "text/csv", "text/plain", "text/html",
}

var resources = []Resource{
	{ID: 42190807566, Name: "broker guide", Extension: "pdf", URL: "http://www.lumi.com.au/broker-assets/broker%20guide.pdf"},
	{ID: 42190988083, Name: "lumi-v-screen", Extension: "png", URL: "http://www.lumi.com.au/broker-assets/lumi-v-screen.png",
		ThumbURL: "http://www.lumi.com.au/broker-assets/lumi-v-screen.png/thumb.png"},
	{ID: 41951125914, Name: "new agreement", Extension: "pdf", URL: "http://www.lumi.com.au/broker-assets/new%20agreement.pdf"},
}

// Statuses returns the 14 documented lead statuses.
func Statuses() []string { return slices.Clone(statuses) }

// LostReasons returns the 16 documented lost reasons.
func LostReasons() []string { return slices.Clone(lostReasons) }

// CreditDeclineReasons returns the 15 documented credit decline reasons.
func CreditDeclineReasons() []string { return slices.Clone(creditDeclineReasons) }

// ApplicationStatuses returns IN_PROCESS and SUBMITTED.
func ApplicationStatuses() []string { return slices.Clone(applicationStatuses) }

// ApplicationTypes returns REGULAR, REFINANCE_INTERNAL and REFINANCE_EXTERNAL.
func ApplicationTypes() []string { return slices.Clone(applicationTypes) }

// LoanProductTypes returns DYNAMIC_TERM_LOAN and REVOLVING_CREDIT.
func LoanProductTypes() []string { return slices.Clone(loanProductTypes) }

// EventTypes returns the event types the sandbox emits: STATUS_CHANGE (the
// doc's examples) and the doc's list STATUS_UPDATED, DOCUMENT_CAPTURE,
// LOAN_DOCUMENTS, CALL, EMAIL.
func EventTypes() []string { return slices.Clone(eventTypes) }

// LoanReasons returns the documented loan reasons (GET /v1/leads/loanReasons).
func LoanReasons() []LoanReason { return slices.Clone(loanReasons) }

// DocumentTypes returns the documented upload document types.
func DocumentTypes() []string { return slices.Clone(documentTypes) }

// ContentTypes returns the documented upload content types.
func ContentTypes() []string { return slices.Clone(contentTypes) }

// Industries returns the documented first-level ANZSIC options.
func Industries() []string { return slices.Clone(industries) }

func isLoanReason(v string) bool {
	for _, r := range loanReasons {
		if r.Value == v {
			return true
		}
	}
	return false
}
