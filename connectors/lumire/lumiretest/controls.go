package lumiretest

import (
	"fmt"
	"strings"
)

// SetResponseShape switches the envelope of every list endpoint:
// ShapeData (default), ShapeItems, ShapeArray or ShapeNested.
func (s *Server) SetResponseShape(shape string) error {
	switch shape {
	case ShapeData, ShapeItems, ShapeArray, ShapeNested:
	default:
		return fmt.Errorf("lumiretest: unknown response shape %q", shape)
	}
	s.mu.Lock()
	s.shape = shape
	s.mu.Unlock()
	return nil
}

// SetCursorParam renames the query parameter that carries a list cursor
// (default "cursor"); the old name then answers 400 like any unknown
// parameter. An empty name restores the default.
func (s *Server) SetCursorParam(name string) {
	if name == "" {
		name = DefaultCursorParam
	}
	s.mu.Lock()
	s.cursorParam = name
	s.mu.Unlock()
}

// SetExportMetadataColumn adds a column the documented exports do not have:
// metadata, each record's metadata object as JSON text ("{}" when it has
// none), as a tenant's export can. A connector must read the exports with
// it, the extra column kept in attributes, and never fail the read on it.
func (s *Server) SetExportMetadataColumn(on bool) {
	s.mu.Lock()
	s.exportMetadata = on
	s.mu.Unlock()
}

// SetExportCap sets the maximum number of rows a CSV export returns
// (documented as 10,000). n <= 0 restores DefaultExportCap.
func (s *Server) SetExportCap(n int) {
	if n <= 0 {
		n = DefaultExportCap
	}
	s.mu.Lock()
	s.exportCap = n
	s.mu.Unlock()
}

func copyAll[T any](s *Server, c *coll[T], clone func(*T) T) []T {
	s.mu.RLock()
	defer s.mu.RUnlock()
	out := make([]T, len(c.items))
	for i, x := range c.items {
		out[i] = clone(x)
	}
	return out
}

// Leads returns deep copies of all leads, oldest createdAt first.
func (s *Server) Leads() []Lead { return copyAll(s, s.leads, (*Lead).clone) }

// Activities returns deep copies of all activities, oldest occurredAt first.
func (s *Server) Activities() []Activity { return copyAll(s, s.activities, (*Activity).clone) }

// Traders returns deep copies of all traders, oldest createdAt first.
func (s *Server) Traders() []Trader { return copyAll(s, s.traders, (*Trader).clone) }

// Accounts returns deep copies of all trading accounts, oldest first.
func (s *Server) Accounts() []Account { return copyAll(s, s.accounts, (*Account).clone) }

// Deposits returns deep copies of all deposits, oldest createdAt first.
func (s *Server) Deposits() []Deposit { return copyAll(s, s.deposits, (*Deposit).clone) }

// Withdrawals returns deep copies of all withdrawals, oldest createdAt first.
func (s *Server) Withdrawals() []Withdrawal { return copyAll(s, s.withdrawals, (*Withdrawal).clone) }

// Transactions returns deep copies of all transactions, oldest occurredAt first.
func (s *Server) Transactions() []Transaction {
	return copyAll(s, s.transactions, (*Transaction).clone)
}

// Users returns the tenant's team members (assignees of leads).
func (s *Server) Users() []User {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return append([]User(nil), s.users...)
}

// Lead returns a deep copy of one lead.
func (s *Server) Lead(id string) (Lead, bool) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	l := s.leads.get(strings.ToLower(id))
	if l == nil {
		return Lead{}, false
	}
	return l.clone(), true
}

// Snapshot returns a deep copy of the whole dataset.
func (s *Server) Snapshot() Dataset {
	return Dataset{
		Users: s.Users(), Leads: s.Leads(), Activities: s.Activities(), Traders: s.Traders(),
		Accounts: s.Accounts(), Deposits: s.Deposits(), Withdrawals: s.Withdrawals(), Transactions: s.Transactions(),
	}
}

// txStatusFor maps a payment status to the status of its ledger transaction.
func txStatusFor(paymentStatus string) string {
	switch paymentStatus {
	case "settled":
		return "completed"
	case "rejected":
		return "failed"
	case "reversed":
		return "reversed"
	case "pending", "approved":
		return "pending"
	}
	return paymentStatus
}

// SetStatus simulates the vendor changing a record: id may name a lead
// (status), a transaction (status), a deposit or withdrawal (status; the
// linked ledger transaction follows), a trader (kycStatus) or an account
// (status). Any non-empty value is accepted, so tests can also set values
// outside the documented enumerations. updatedAt becomes now; a lead also
// gets a "status_change" activity, a settled payment gets settledAt.
func (s *Server) SetStatus(id, status string) error {
	if status == "" {
		return fmt.Errorf("lumiretest: empty status")
	}
	id = strings.ToLower(id)
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.clock()
	if l := s.leads.get(id); l != nil {
		if l.Status != status {
			old := l.Status
			l.Status = status
			if st := s.stageForStatus(status); st != nil {
				l.PipelineStageID = st
			}
			s.statusActivityLocked(l, old, status, now, nil)
		}
		l.UpdatedAt = TS(now)
		return nil
	}
	if t := s.transactions.get(id); t != nil {
		t.Status, t.UpdatedAt = status, TS(now)
		return nil
	}
	linked := func(paymentID, st string) {
		for _, t := range s.transactions.items {
			if t.Reference != nil && *t.Reference == paymentID {
				t.Status, t.UpdatedAt = txStatusFor(st), TS(now)
			}
		}
	}
	if d := s.deposits.get(id); d != nil {
		d.Status, d.UpdatedAt = status, TS(now)
		if status == "settled" && d.SettledAt == nil {
			d.SettledAt = tsPtr(now)
		}
		linked(d.ID, status)
		return nil
	}
	if wd := s.withdrawals.get(id); wd != nil {
		wd.Status, wd.UpdatedAt = status, TS(now)
		if status == "settled" && wd.SettledAt == nil {
			wd.SettledAt = tsPtr(now)
		}
		linked(wd.ID, status)
		return nil
	}
	if t := s.traders.get(id); t != nil {
		t.KYCStatus, t.UpdatedAt = status, TS(now)
		return nil
	}
	if a := s.accounts.get(id); a != nil {
		a.Status, a.UpdatedAt = status, TS(now)
		return nil
	}
	return fmt.Errorf("lumiretest: no record with id %q", id)
}

// InjectUnknownValues gives some records values outside the documented
// enumerations (the Unknown* constants): roughly one record in ten of each
// kind, and at least one, starting with the second oldest. Their updatedAt
// (where the resource has one) becomes now, so incremental pulls see them.
// List filters still only accept documented values.
func (s *Server) InjectUnknownValues() {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := TS(s.clock())
	pick := func(n int) []int {
		var idx []int
		for i := 1; i < n; i += 10 {
			idx = append(idx, i)
		}
		if len(idx) == 0 && n > 0 {
			idx = []int{0}
		}
		return idx
	}
	for _, i := range pick(len(s.leads.items)) {
		l := s.leads.items[i]
		l.Status, l.UpdatedAt = UnknownLeadStatus, now
	}
	for _, i := range pick(len(s.activities.items)) {
		s.activities.items[i].Kind = UnknownActivityKind
	}
	for n, i := range pick(len(s.transactions.items)) {
		t := s.transactions.items[i]
		if n%2 == 0 {
			t.Status = UnknownTransactionStatus
		} else {
			t.Kind = UnknownTransactionKind
		}
		if n == 0 {
			t.Kind = UnknownTransactionKind
		}
		t.UpdatedAt = now
	}
	for n, i := range pick(len(s.deposits.items)) {
		d := s.deposits.items[i]
		d.Status, d.UpdatedAt = UnknownDepositStatus, now
		if n%2 == 0 {
			d.Kind = UnknownPaymentKind
		}
	}
	for n, i := range pick(len(s.withdrawals.items)) {
		wd := s.withdrawals.items[i]
		wd.Status, wd.UpdatedAt = UnknownWithdrawalStatus, now
		if n%2 == 0 {
			wd.Kind = UnknownPaymentKind
		}
	}
	for _, i := range pick(len(s.traders.items)) {
		t := s.traders.items[i]
		t.KYCStatus, t.UpdatedAt = UnknownKYCStatus, now
	}
	for _, i := range pick(len(s.accounts.items)) {
		a := s.accounts.items[i]
		a.Platform, a.UpdatedAt = UnknownAccountPlatform, now
	}
}

// Received returns copies of every write request received after
// authentication (accepted or rejected), in arrival order.
func (s *Server) Received() []Submission {
	s.mu.RLock()
	defer s.mu.RUnlock()
	out := make([]Submission, len(s.received))
	for i, sub := range s.received {
		sub.Body = cloneMap(sub.Body)
		sub.Raw = append([]byte(nil), sub.Raw...)
		out[i] = sub
	}
	return out
}

// ReceivedCount counts the write requests received on route (e.g.
// RouteCreateLead), accepted or rejected. An empty route counts all.
func (s *Server) ReceivedCount(route string) int {
	s.mu.RLock()
	defer s.mu.RUnlock()
	n := 0
	for _, sub := range s.received {
		if route == "" || sub.Route == route {
			n++
		}
	}
	return n
}

// CreatedCount counts the write requests on route that succeeded (2xx).
func (s *Server) CreatedCount(route string) int {
	s.mu.RLock()
	defer s.mu.RUnlock()
	n := 0
	for _, sub := range s.received {
		if (route == "" || sub.Route == route) && sub.Status >= 200 && sub.Status < 300 {
			n++
		}
	}
	return n
}

// ResetReceived forgets the recorded submissions (the records stay).
func (s *Server) ResetReceived() {
	s.mu.Lock()
	s.received = nil
	s.mu.Unlock()
}
