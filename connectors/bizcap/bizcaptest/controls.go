package bizcaptest

import (
	"errors"
	"fmt"
	"strings"
	"time"
)

// Errors of the test controls.
var (
	ErrNotFound         = errors.New("bizcaptest: no such record")
	ErrUnknownStatus    = errors.New("bizcaptest: status/sub-status pair is not documented")
	ErrUnknownLoanType  = errors.New("bizcaptest: loan type is not documented")
	ErrAlreadyConverted = errors.New("bizcaptest: lead already converted")
)

// Leads returns deep copies of every lead, in list order.
func (s *Server) Leads() []Lead {
	s.mu.RLock()
	defer s.mu.RUnlock()
	out := make([]Lead, len(s.leads))
	for i, l := range s.leads {
		out[i] = l.clone()
	}
	return out
}

// Deals returns deep copies of every deal, in list order.
func (s *Server) Deals() []Deal {
	s.mu.RLock()
	defer s.mu.RUnlock()
	out := make([]Deal, len(s.deals))
	for i, d := range s.deals {
		out[i] = d.clone()
	}
	return out
}

// Lead returns a copy of one lead.
func (s *Server) Lead(id string) (Lead, bool) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	i, ok := s.leadIndex[strings.ToLower(id)]
	if !ok {
		return Lead{}, false
	}
	return s.leads[i].clone(), true
}

// Deal returns a copy of one deal.
func (s *Server) Deal(id string) (Deal, bool) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	i, ok := s.dealIndex[strings.ToLower(id)]
	if !ok {
		return Deal{}, false
	}
	return s.deals[i].clone(), true
}

// Attachments returns copies of every uploaded attachment, in upload order.
func (s *Server) Attachments() []Attachment {
	s.mu.RLock()
	defer s.mu.RUnlock()
	out := make([]Attachment, len(s.attachments))
	for i, a := range s.attachments {
		out[i] = a.clone()
	}
	return out
}

// Received returns every write request that passed authentication, in
// arrival order, accepted or rejected.
func (s *Server) Received() []Submission {
	s.mu.RLock()
	defer s.mu.RUnlock()
	out := make([]Submission, len(s.received))
	copy(out, s.received)
	return out
}

// ReceivedCount counts the write requests of a kind (KindCreateLead, ...),
// accepted or rejected; "" counts every kind.
func (s *Server) ReceivedCount(kind string) int { return s.count(kind, false) }

// AcceptedCount counts the write requests of a kind that were answered 200,
// i.e. the records really created or updated; "" counts every kind.
func (s *Server) AcceptedCount(kind string) int { return s.count(kind, true) }

func (s *Server) count(kind string, acceptedOnly bool) int {
	s.mu.RLock()
	defer s.mu.RUnlock()
	n := 0
	for _, sub := range s.received {
		if (kind == "" || sub.Kind == kind) && (!acceptedOnly || sub.Status == 200) {
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

func (s *Server) clockNow() time.Time { return s.now().UTC() }

// SetLeadStatus moves a lead to a documented status and sub-status, as a
// Bizcap user would, and bumps its updatedAt (and the since-dates that
// change) to the clock's now.
func (s *Server) SetLeadStatus(id, status, subStatus string) error {
	if !validStatus(LeadStatuses, status, subStatus) {
		return fmt.Errorf("set lead %s status %q/%q: %w", id, status, subStatus, ErrUnknownStatus)
	}
	now := s.clockNow()
	s.mu.Lock()
	defer s.mu.Unlock()
	i, ok := s.leadIndex[strings.ToLower(id)]
	if !ok {
		return fmt.Errorf("set lead %s status: %w", id, ErrNotFound)
	}
	l := s.leads[i]
	setStatus(&l.Fields.Status, &l.Fields.SubStatus, &l.Fields.StatusSinceDate, &l.Fields.SubStatusSinceDate, status, subStatus, now)
	l.UpdatedAt, l.UpdatedBy = At(now), bdmUsers[0].ID
	return nil
}

func setStatus(status, sub *string, statusSince, subSince **Timestamp, newStatus, newSub string, now time.Time) {
	since := now.Truncate(time.Second)
	if *status != newStatus {
		*statusSince = atPtr(since)
	}
	if *status != newStatus || *sub != newSub {
		*subSince = atPtr(since)
	}
	*status, *sub = newStatus, newSub
}

// SetDealStatus moves a deal to a documented status and sub-status and bumps
// its updatedAt. Moving into an offer status fills the om* terms if the deal
// has none; Settled also sets omAdvanceID and omDateFunded (today); Declined
// sets omDeclineReasons to the sub-status.
func (s *Server) SetDealStatus(id, status, subStatus string) error {
	if !validStatus(DealStatuses, status, subStatus) {
		return fmt.Errorf("set deal %s status %q/%q: %w", id, status, subStatus, ErrUnknownStatus)
	}
	now := s.clockNow()
	s.mu.Lock()
	defer s.mu.Unlock()
	i, ok := s.dealIndex[strings.ToLower(id)]
	if !ok {
		return fmt.Errorf("set deal %s status: %w", id, ErrNotFound)
	}
	d := s.deals[i]
	f := &d.Fields
	setStatus(&f.Status, &f.SubStatus, &f.StatusSinceDate, &f.SubStatusSinceDate, status, subStatus, now)
	g := &gen{r: s.idRNG, offers: len(CollectionFrequencies)}
	if contains(offerStatuses, status) && f.OmPrincipalAmount == nil {
		requested := int64(50_000_00)
		if f.Amount != nil {
			var whole, cents int64
			fmt.Sscanf(*f.Amount, "%d.%d", &whole, &cents)
			requested = whole*100 + cents
		}
		g.offer(f, requested)
	}
	if status == "Settled" && f.OmDateFunded == nil {
		f.OmAdvanceID = sp("ADV-" + g.digits(7))
		f.OmDateFunded = sp(now.Format("2006-01-02"))
	}
	if status == "Declined" {
		f.OmDeclineReasons = sp(subStatus)
	}
	if f.Sfid == nil {
		f.Sfid = sp("0065g00000" + g.digitsFrom(8, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"))
	}
	d.UpdatedAt, d.UpdatedBy = At(now), bdmUsers[0].ID
	return nil
}

// ConvertToDeal converts a lead as Bizcap does when bank statements are in:
// it creates a deal (Application Received / Banks In, loanType as given, ""
// meaning "New") carrying the lead's partnerLeadReferenceId, and sets the
// lead to Converted / Banks In with convertedDealId. Both get the clock's now.
// It returns the deal id.
func (s *Server) ConvertToDeal(leadID, loanType string) (string, error) {
	if loanType == "" {
		loanType = "New"
	}
	if !contains(LoanTypes, loanType) {
		return "", fmt.Errorf("convert lead %s: %q: %w", leadID, loanType, ErrUnknownLoanType)
	}
	now := s.clockNow()
	s.mu.Lock()
	defer s.mu.Unlock()
	i, ok := s.leadIndex[strings.ToLower(leadID)]
	if !ok {
		return "", fmt.Errorf("convert lead %s: %w", leadID, ErrNotFound)
	}
	l := s.leads[i]
	lf := &l.Fields
	if lf.ConvertedDealID != "" {
		return "", fmt.Errorf("convert lead %s: %w", leadID, ErrAlreadyConverted)
	}
	since := atPtr(now.Truncate(time.Second))
	d := &Deal{
		ID: newUUID(s.idRNG), CreatedAt: At(now), CreatedBy: bdmUsers[0].ID, UpdatedAt: At(now), UpdatedBy: bdmUsers[0].ID,
		Fields: DealFields{
			Status: "Application Received", SubStatus: "Banks In",
			Watchers:        []Ref{{"user", bdmUsers[0].ID}},
			StatusSinceDate: since, SubStatusSinceDate: since,
			Name:                   lf.CompanyName,
			Customer:               Named{newUUID(s.idRNG), lf.CompanyName},
			CallClientOrBroker:     cloneP(lf.CallClientOrBroker),
			Broker:                 lf.Broker,
			BrokerRep:              lf.BrokerRep,
			LoanType:               sp(loanType),
			Amount:                 cloneP(lf.AmountRequested),
			CallOnBehalfOf:         cloneP(lf.CallOnBehalfOf),
			PartnerLeadReferenceID: cloneP(lf.PartnerLeadReferenceID),
		},
	}
	s.dealIndex[d.ID] = len(s.deals)
	s.deals = append(s.deals, d)
	setStatus(&lf.Status, &lf.SubStatus, &lf.StatusSinceDate, &lf.SubStatusSinceDate, "Converted", "Banks In", now)
	lf.ConvertedDealID, lf.LoanType = d.ID, sp(loanType)
	l.UpdatedAt, l.UpdatedBy = At(now), bdmUsers[0].ID
	return d.ID, nil
}

// InjectUnknownValues gives some records values the vendor document does not
// list (the Unknown* constants): every 20th lead and deal, starting with the
// fourth, gets one of four kinds of change, and its updatedAt is bumped to
// the clock's now. A second call does nothing.
func (s *Server) InjectUnknownValues() {
	now := s.clockNow()
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.injected {
		return
	}
	s.injected = true
	for i, k := 3, 0; i < len(s.leads); i, k = i+unknownInjectionEveryNthLead, k+1 {
		l := s.leads[i]
		f := &l.Fields
		switch k % 4 {
		case 0:
			setStatus(&f.Status, &f.SubStatus, &f.StatusSinceDate, &f.SubStatusSinceDate, UnknownLeadStatus, UnknownLeadSubStatus, now)
		case 1:
			setStatus(&f.Status, &f.SubStatus, &f.StatusSinceDate, &f.SubStatusSinceDate, "New", UnknownNewSubStatus, now)
		case 2:
			f.CitizenshipStatus = sp(UnknownCitizenshipStatus)
			f.LoanPurpose = sp(UnknownLoanPurpose)
			f.SuitableProducts = append(f.SuitableProducts[:len(f.SuitableProducts):len(f.SuitableProducts)], UnknownSuitableProduct)
		case 3:
			f.CallClientOrBroker = sp(UnknownCallClientOrBroker)
			f.LeadSource = UnknownLeadSource
		}
		l.UpdatedAt = At(now)
	}
	for i, k := 3, 0; i < len(s.deals); i, k = i+unknownInjectionEveryNthLead, k+1 {
		d := s.deals[i]
		f := &d.Fields
		switch k % 4 {
		case 0:
			setStatus(&f.Status, &f.SubStatus, &f.StatusSinceDate, &f.SubStatusSinceDate, UnknownDealStatus, UnknownDealSubStatus, now)
		case 1:
			setStatus(&f.Status, &f.SubStatus, &f.StatusSinceDate, &f.SubStatusSinceDate, "Settled", UnknownSettledSubStatus, now)
		case 2:
			f.LoanType = sp(UnknownLoanType)
		case 3:
			f.OmCollectionFrequency = sp(UnknownCollectionFrequency)
			f.OmAdvanceType = sp(UnknownAdvanceType)
		}
		d.UpdatedAt = At(now)
	}
}
