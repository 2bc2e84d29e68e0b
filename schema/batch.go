package schema

// Batch carries rows of every canonical table from a source to a sink. A
// connector stream usually fills one or two of the slices; the engine hands
// the batch to transforms and then to the sink, and reuses it.
type Batch struct {
	Leads        []Lead
	Events       []Event
	Loans        []Loan
	Installments []Installment
	Payments     []Payment
}

// Len is the total number of rows.
func (b *Batch) Len() int {
	return len(b.Leads) + len(b.Events) + len(b.Loans) + len(b.Installments) + len(b.Payments)
}

// Tables returns a view of every table in the batch, empty ones included, in
// the order of Tables.
func (b *Batch) Tables() []Rows {
	return []Rows{
		RowsOf(Leads, b.Leads),
		RowsOf(Events, b.Events),
		RowsOf(Loans, b.Loans),
		RowsOf(Installments, b.Installments),
		RowsOf(Payments, b.Payments),
	}
}

// Reset empties the batch and keeps its capacity.
func (b *Batch) Reset() {
	clear(b.Leads)
	clear(b.Events)
	clear(b.Loans)
	clear(b.Installments)
	clear(b.Payments)
	b.Leads, b.Events, b.Loans = b.Leads[:0], b.Events[:0], b.Loans[:0]
	b.Installments, b.Payments = b.Installments[:0], b.Payments[:0]
}

// Stamp sets the bookkeeping columns the engine owns on every row.
func (b *Batch) Stamp(runID string, extractedAt Timestamp) {
	for i := range b.Leads {
		b.Leads[i].RunID, b.Leads[i].ExtractedAt = runID, extractedAt
	}
	for i := range b.Events {
		b.Events[i].RunID, b.Events[i].ExtractedAt = runID, extractedAt
	}
	for i := range b.Loans {
		b.Loans[i].RunID, b.Loans[i].ExtractedAt = runID, extractedAt
	}
	for i := range b.Installments {
		b.Installments[i].RunID, b.Installments[i].ExtractedAt = runID, extractedAt
	}
	for i := range b.Payments {
		b.Payments[i].RunID, b.Payments[i].ExtractedAt = runID, extractedAt
	}
}
