package schema

import (
	"fmt"
	"strings"
)

// ColumnDoc is what a canonical column means, for the schema reference
// (`leadpipe schema`, docs/schema.md) and the Iceberg tables' field docs.
type ColumnDoc struct {
	Meaning string
	// NotNull: every row has a value (the engine or every connector
	// fills it); a test checks the claim against every vendor's sandbox.
	NotNull bool
}

// columnDocs documents every canonical column, by "table.column"; a
// "*.column" entry documents a column of that name in every table that
// has no entry of its own. A test fails on an undocumented column and on
// an entry that names no column.
var columnDocs = map[string]ColumnDoc{
	// Bookkeeping columns of every table.
	"*.vendor": {NotNull: true, Meaning: "The connector the row came from (lumi, bizcap, lofty, lumire, iute). " +
		"The Parquet lake also has it as the vendor= partition directory; the Iceberg tables are partitioned by it."},
	"*.extracted_at": {NotNull: true, Meaning: "When leadpipe extracted the row: the start time of the run that read it, " +
		"in UTC with microseconds. Every row of one run has the same value, whatever time the vendor gives the row; a key's " +
		"newest version is the row with the greatest extracted_at (then updated_at). The Parquet lake's dt= partition is its " +
		"UTC date; the Iceberg history tables are partitioned by day(extracted_at)."},
	"*.run_id": {NotNull: true, Meaning: "The run that wrote the row (`leadpipe runs show RUN_ID`); it sorts by the run's " +
		"start time. Iceberg snapshots carry it as leadpipe.run_id."},
	"*.attributes": {Meaning: "Everything the vendor sent that has no canonical column, as a JSON object, so nothing is " +
		"lost. Each connector's README lists its keys; each key has its own privacy class."},
	"*.currency":   {Meaning: "ISO 4217 code of the row's amounts. Amounts of different currencies are never added together."},
	"*.created_at": {Meaning: "When the vendor created the record (UTC)."},
	"*.updated_at": {Meaning: "When the vendor last changed the record (UTC); it orders two versions of one key read in the same run."},

	"leads.lead_uid":       {NotNull: true, Meaning: "The lead's key: vendor:vendor_lead_id. leads_current has one row per lead_uid."},
	"leads.vendor_lead_id": {NotNull: true, Meaning: "The vendor's id of the lead."},
	"leads.partner_ref": {Meaning: "The partner's own reference for the lead, where the vendor keeps one (Lumi: the " +
		"external_id, which leadpipe sets to a pushed row's key)."},
	"leads.status":               {NotNull: true, Meaning: "Canonical status: new, contacting, qualifying, application, approved, funded, declined, lost or expired. A vendor status no mapping knows is new (counted in the run summary)."},
	"leads.vendor_status":        {Meaning: "The status exactly as the vendor sent it."},
	"leads.vendor_sub_status":    {Meaning: "The vendor's sub-status or stage detail, as sent."},
	"leads.lost_reason":          {Meaning: "Why the lead was lost or declined, as the vendor says."},
	"leads.first_name":           {Meaning: "The applicant's first name."},
	"leads.last_name":            {Meaning: "The applicant's last name."},
	"leads.email":                {Meaning: "The applicant's email address (hashed by the default privacy policy)."},
	"leads.phone":                {Meaning: "The applicant's phone in E.164 when it is a valid number for its region (hashed by the default privacy policy); anything else stays raw in attributes."},
	"leads.date_of_birth":        {Meaning: "The applicant's date of birth (dropped by the default privacy policy; birth_year stays)."},
	"leads.birth_year":           {Meaning: "The year of date_of_birth, kept for age bands when the date itself is dropped."},
	"leads.company_name":         {Meaning: "The business's name."},
	"leads.business_number":      {Meaning: "The business's registration number, as business_number_type says."},
	"leads.business_number_type": {Meaning: "Which register business_number is from: abn, acn, nzbn, crn, uen, ..."},
	"leads.industry":             {Meaning: "The business's industry, as the vendor names it."},
	"leads.monthly_turnover":     {Meaning: "The business's monthly turnover, DECIMAL(18,2) in currency."},
	"leads.amount_requested":     {Meaning: "The amount the applicant asked for, DECIMAL(18,2) in currency."},
	"leads.loan_purpose":         {Meaning: "What the money is for, as the vendor says."},
	"leads.source":               {Meaning: "Where the lead came from (the vendor's lead source)."},
	"leads.broker":               {Meaning: "The broker or agent on the lead."},
	"leads.country":              {Meaning: "The address's country, ISO 3166-1 alpha-2."},
	"leads.state":                {Meaning: "The address's state or region."},
	"leads.city":                 {Meaning: "The address's city or suburb."},
	"leads.postal_code":          {Meaning: "The address's postal code."},

	"events.event_uid":         {NotNull: true, Meaning: "The event's key: vendor:vendor_event_id."},
	"events.vendor_event_id":   {NotNull: true, Meaning: "The vendor's id of the event."},
	"events.lead_uid":          {Meaning: "The lead the event belongs to (leads.lead_uid)."},
	"events.event_type":        {NotNull: true, Meaning: "Canonical type: status_change, call, email, sms, note, document, task or activity."},
	"events.vendor_event_type": {Meaning: "The event's type exactly as the vendor sent it."},
	"events.direction":         {Meaning: "inbound or outbound for calls and messages; null otherwise."},
	"events.status_to":         {Meaning: "For a status change: the canonical status the lead moved to."},
	"events.detail":            {Meaning: "The event's text (a note, a subject, a call summary), as people typed it."},
	"events.occurred_at":       {Meaning: "When the event happened (UTC)."},

	"loans.loan_uid":          {NotNull: true, Meaning: "The loan's key: vendor:vendor_loan_id. loans_current has one row per loan_uid."},
	"loans.vendor_loan_id":    {NotNull: true, Meaning: "The vendor's id of the loan (or deal, or application)."},
	"loans.lead_uid":          {Meaning: "The lead the loan came from (leads.lead_uid), when the vendor links them."},
	"loans.status":            {NotNull: true, Meaning: "Canonical status, as for leads: funded once the money was paid out."},
	"loans.vendor_status":     {Meaning: "The loan's status exactly as the vendor sent it."},
	"loans.product":           {Meaning: "term_loan, line_of_credit, merchant_advance, consumer_loan, ... (other for a product no mapping knows)."},
	"loans.application_type":  {Meaning: "new, refinance, renewal, top_up, ... (other for a type no mapping knows)."},
	"loans.term_count":        {Meaning: "The term's length, in term_unit."},
	"loans.term_unit":         {Meaning: "day, week or month."},
	"loans.payment_frequency": {Meaning: "How often repayments fall due (daily, weekly, monthly, ...)."},
	"loans.principal":         {Meaning: "The amount lent, DECIMAL(18,2) in currency."},
	"loans.total_repayable":   {Meaning: "Principal plus every fee and interest, DECIMAL(18,2)."},
	"loans.repaid":            {Meaning: "What has been repaid so far, DECIMAL(18,2)."},
	"loans.outstanding":       {Meaning: "What is still owed, DECIMAL(18,2)."},
	"loans.interest_rate":     {Meaning: "The interest rate as a fraction, DECIMAL(18,6) (0.2424 is 24.24%)."},
	"loans.commission_amount": {Meaning: "The broker's commission on the loan, DECIMAL(18,2) in currency."},
	"loans.commission_rate":   {Meaning: "The commission as a fraction of principal, DECIMAL(18,6)."},
	"loans.funded_at": {Meaning: "When the loan was funded (UTC): the vendor's date, or, for vendors that give none, the " +
		"extraction time of the first run that saw the loan funded; funded_at_source says which."},
	"loans.funded_at_source": {Meaning: "Where funded_at came from: vendor (the vendor's own date) or first_seen (the first " +
		"run that saw the loan funded, kept in the state store so later runs repeat it). Null when funded_at is."},
	"loans.first_repayment_date": {Meaning: "The date the first repayment falls due."},

	"installments.loan_uid": {NotNull: true, Meaning: "The loan the installment belongs to (loans.loan_uid). " +
		"installments_current holds each loan's schedule as the latest run that read the loan delivered it."},
	"installments.number":             {NotNull: true, Meaning: "The installment's number in the schedule, from 1."},
	"installments.due_date":           {Meaning: "When the installment falls due."},
	"installments.amount_due":         {Meaning: "The installment's amount, DECIMAL(18,2) in currency."},
	"installments.amount_outstanding": {Meaning: "What is still unpaid of it, DECIMAL(18,2)."},

	"payments.payment_uid":       {NotNull: true, Meaning: "The payment's key: vendor:vendor_payment_id."},
	"payments.vendor_payment_id": {NotNull: true, Meaning: "The vendor's id of the payment (transaction, deposit, withdrawal)."},
	"payments.loan_uid":          {Meaning: "The loan the payment belongs to (loans.loan_uid), when there is one."},
	"payments.account_ref":       {Meaning: "The vendor's account the money moved in or out of."},
	"payments.kind":              {NotNull: true, Meaning: "repayment, deposit, withdrawal, disbursement, fee, ..."},
	"payments.status":            {Meaning: "The payment's status as the vendor gives it."},
	"payments.amount":            {Meaning: "The amount, DECIMAL(18,2) in currency (negative for money out, where the vendor signs it)."},
	"payments.occurred_at":       {Meaning: "When the money moved (UTC)."},
}

// docOf is the documentation of a canonical column.
func docOf(table, column string) (ColumnDoc, bool) {
	if d, ok := columnDocs[table+"."+column]; ok {
		return d, true
	}
	d, ok := columnDocs["*."+column]
	return d, ok
}

// checkDocs lists canonical columns without documentation and entries
// that name no column.
func checkDocs() []string {
	var out []string
	used := map[string]bool{}
	for _, t := range Tables {
		for _, c := range t.Columns {
			if _, ok := columnDocs[t.Name+"."+c.Name]; ok {
				used[t.Name+"."+c.Name] = true
				continue
			}
			if _, ok := columnDocs["*."+c.Name]; ok {
				used["*."+c.Name] = true
				continue
			}
			out = append(out, fmt.Sprintf("column %s.%s has no documentation", t.Name, c.Name))
		}
	}
	for k := range columnDocs {
		if !used[k] {
			out = append(out, fmt.Sprintf("documentation %s names no column", k))
		}
	}
	return out
}

func init() {
	for _, t := range Tables {
		for i := range t.Columns {
			c := &t.Columns[i]
			if d, ok := docOf(t.Name, c.Name); ok {
				c.Doc, c.NotNull = strings.TrimSpace(d.Meaning), d.NotNull
			}
		}
	}
}
