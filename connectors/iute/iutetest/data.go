package iutetest

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"time"
)

var (
	firstNames = []string{"Ion", "Maria", "Elena", "Andrei", "Nelea", "Vasile", "Ana", "Mihai", "Natalia",
		"Sergiu", "Olga", "Victor", "Tatiana", "Dorin", "Cristina", "Ștefan", "Arben", "Elira", "Besnik",
		"Drita", "Ermal", "Blerta", "Gëzim", "Valbona"}
	lastNames = []string{"Rusu", "Ceban", "Cojocaru", "Popa", "Lungu", "Munteanu", "Iacovet", "Bălan",
		"Țurcanu", "Ciobanu", "Hoxha", "Krasniqi", "Shehu", "Gashi", "Çela", "Berisha", "Dervishi", "Smith"}
	fatherNames = []string{"Ion", "Vasile", "Gheorghe", "Nicolae", "Petru", "Mihail", "Agim", "Fatmir",
		"Ilir", "Bujar", "James"}
	relations = []string{"sister", "brother", "mother", "father", "spouse", "friend", "colleague", "son",
		"daughter"}
	towns = []string{"Chisinau", "Balti", "Cahul", "Orhei", "Ungheni", "Comrat", "Soroca", "Tirana",
		"Durres", "Shkoder", "Elbasan", "Vlore"}
	streets = []string{"Stefan cel Mare", "Long street", "Dacia", "Ismail", "Mihai Viteazul",
		"Rruga e Kavajes", "Rruga Myslym Shyri", "Bulevardi Zogu I", "Alba Iulia", "Calea Iesilor"}
	offices = []string{"Main office", "o.p.6514", "o.p.2012", "o.p.3100", "Oficiul postal Botanica",
		"Posta Shqiptare Tirana 1", "o.p.2068"}
	durations = []int{3, 6, 6, 9, 12, 12, 18, 24, 36}
)

// generate builds size loans deterministically from seed.
func generate(seed int64, size int) []*Loan {
	rng := rand.New(rand.NewPCG(uint64(seed), uint64(seed)^0x9e3779b97f4a7c15))
	states := make([]string, size)
	base := Statuses()
	for i := range states {
		if i < len(base) {
			states[i] = base[i]
			continue
		}
		switch x := rng.IntN(100); {
		case x < 10:
			states[i] = StatusNew
		case x < 18:
			states[i] = StatusApproved
		case x < 30:
			states[i] = StatusRejected
		case x < 36:
			states[i] = StatusCancelled
		case x < 42:
			states[i] = StatusCashReleaseAllowed
		case x < 82:
			states[i] = StatusPaidOut
		default:
			states[i] = StatusClosed
		}
	}
	rng.Shuffle(len(states), func(i, j int) { states[i], states[j] = states[j], states[i] })

	loans := make([]*Loan, 0, size)
	ref := FirstLoanRef
	paidOut, closed := 0, 0
	for i, st := range states {
		if i > 0 {
			ref += 1 + rng.IntN(3)
		}
		l := genLoan(rng, ref, st, i)
		switch st {
		case StatusPaidOut:
			fillPaidOut(rng, l, paidOut%3)
			paidOut++
		case StatusClosed:
			fillClosed(rng, l, closed%2)
			closed++
		}
		loans = append(loans, l)
	}
	return loans
}

func pick[T any](rng *rand.Rand, xs []T) T { return xs[rng.IntN(len(xs))] }

func digits(rng *rand.Rand, n int) string {
	var b strings.Builder
	for range n {
		b.WriteByte(byte('0' + rng.IntN(10)))
	}
	return b.String()
}

func genPIN(rng *rand.Rand, i int) string {
	const letters = "ABCDEFGHIJKLMNOPRSTUVZ"
	switch i % 4 {
	case 0, 1: // Albanian NID, like the doc's I80606014N
		return string(letters[rng.IntN(len(letters))]) + digits(rng, 8) + string(letters[rng.IntN(len(letters))])
	case 2: // Moldovan IDNP, 13 digits
		return "200" + digits(rng, 10)
	default: // the doc's response example shape, 112356789T
		return digits(rng, 9) + string(letters[rng.IntN(len(letters))])
	}
}

func genApplication(rng *rand.Rand, i int) Application {
	birth := Anchor.AddDate(-(19 + rng.IntN(52)), -rng.IntN(12), -rng.IntN(28))
	a := Application{
		PIN:                genPIN(rng, i),
		FirstName:          pick(rng, firstNames),
		LastName:           pick(rng, lastNames),
		Patronymic:         pick(rng, fatherNames),
		BirthDate:          formatDate(birth),
		GSM:                "06" + digits(rng, 8),
		PhoneHome:          "02" + digits(rng, 7),
		AltContactName:     pick(rng, firstNames),
		AltContactRelation: pick(rng, relations),
		AltContactPhone:    "07" + digits(rng, 8),
		Town:               pick(rng, towns),
		Street:             pick(rng, streets),
		HouseNr:            fmt.Sprint(1 + rng.IntN(120)),
		SubmitPerson:       pick(rng, firstNames),
		SubmitPostOffice:   pick(rng, offices),
	}
	if i%2 == 0 {
		a.DocumentSerial = "B" + digits(rng, 8)
	} else {
		a.DocumentSerial = "2000" + digits(rng, 5)
	}
	switch rng.IntN(4) {
	case 0: // a house: no apartment
	case 1:
		a.HouseNr += "/" + fmt.Sprint(1+rng.IntN(4))
		a.ApartmentNr = fmt.Sprint(1 + rng.IntN(90))
	default:
		a.ApartmentNr = fmt.Sprint(1 + rng.IntN(200))
	}
	if rng.IntN(3) > 0 {
		a.Files = append(a.Files, File{Field: "id_copy", Filename: "id_doc.jpg", ContentType: "image/jpeg", Size: int64(40_000 + rng.IntN(200_000))})
	}
	if rng.IntN(3) == 0 {
		a.Files = append(a.Files, File{Field: "data_verification", Filename: "data_ver.pdf", ContentType: "application/pdf", Size: int64(20_000 + rng.IntN(90_000))})
	}
	return a
}

func genLoan(rng *rand.Rand, ref int, status string, i int) *Loan {
	principal := Cents((10 + rng.IntN(491)) * 10000) // 100.00 .. 5000.00 in steps of 100
	if rng.IntN(4) == 0 {
		principal += Cents(1 + rng.IntN(99)) // e.g. 1000.55
	}
	n := pick(rng, durations)
	// Creation date: recent for open applications; paid-out loans are moved
	// back later by fillPaidOut/fillClosed.
	daysBack := map[string]int{
		StatusNew: 1 + rng.IntN(7), StatusApproved: 2 + rng.IntN(14), StatusCashReleaseAllowed: 3 + rng.IntN(20),
		StatusRejected: 1 + rng.IntN(300), StatusCancelled: 1 + rng.IntN(300),
	}[status]
	created := Anchor.AddDate(0, 0, -daysBack).Add(time.Duration(8*3600+rng.IntN(10*3600)) * time.Second)
	l := &Loan{Ref: ref, Status: status, Application: genApplication(rng, i), Principal: principal, Duration: n}
	setCreated(l, created)
	decided := created.Add(time.Duration(1+rng.IntN(48)) * time.Hour)
	switch status {
	case StatusApproved:
		l.DecidedAt = decided
		if rng.IntN(2) == 0 {
			l.Uploads = agreementFiles()
		}
	case StatusRejected:
		l.DecidedAt = decided
		l.RejectReason = pick(rng, []string{"rejected by employee", "autoreject: credit history", "autoreject: incomplete documents"})
	case StatusCancelled:
		l.CancelledAt = decided
		if rng.IntN(2) == 0 {
			l.DecidedAt = decided.Add(-time.Hour)
		}
	case StatusCashReleaseAllowed:
		l.DecidedAt = decided
		l.Uploads = agreementFiles()
		l.CashReleaseAt = decided.Add(time.Duration(1+rng.IntN(48)) * time.Hour)
	}
	l.UpdatedAt = maxTime(l.CreatedAt, l.DecidedAt, l.CancelledAt, l.CashReleaseAt)
	return l
}

func agreementFiles() []File {
	return []File{
		{Field: "loan_agreement", Filename: "agreement_signed.pdf", ContentType: "application/pdf", Size: 182_344},
		{Field: "bank_statement", Filename: "bank_statement.pdf", ContentType: "application/pdf", Size: 95_210},
	}
}

// setCreated sets the creation time and the installment table that follows
// from it.
func setCreated(l *Loan, created time.Time) {
	l.CreatedAt = created
	l.MonthlyPayment, l.TotalBalance, l.Installments = buildSchedule(dayOf(created), l.Principal, l.Duration)
	l.FirstRepaymentDate = l.Installments[0].DueDate
}

// paidOut moves a loan's history back so that k installments fell due
// before Anchor, and marks it approved, authorized and paid out.
func paidOut(rng *rand.Rand, l *Loan, monthsBack int) {
	created := Anchor.AddDate(0, -monthsBack, -(3 + rng.IntN(20))).Add(time.Duration(8*3600+rng.IntN(10*3600)) * time.Second)
	setCreated(l, created)
	l.DecidedAt = created.Add(time.Duration(2+rng.IntN(20)) * time.Hour)
	l.CashReleaseAt = l.DecidedAt.Add(time.Duration(2+rng.IntN(24)) * time.Hour)
	l.PaidOutAt = l.CashReleaseAt.Add(time.Duration(1+rng.IntN(24)) * time.Hour)
	l.Uploads = agreementFiles()
	l.UpdatedAt = l.PaidOutAt
}

// fillPaidOut: variant 0 has no repayments, 1 has k full installments
// repaid, 2 has k full installments and a partial one.
func fillPaidOut(rng *rand.Rand, l *Loan, variant int) {
	k := 0
	if variant > 0 {
		k = 1 + rng.IntN(l.Duration-1)
	}
	paidOut(rng, l, k+1)
	l.Status = StatusPaidOut
	for i := range k {
		repay(l, l.Installments[i].DueDate.AddDate(0, 0, -rng.IntN(5)), l.MonthlyPayment)
	}
	if variant == 2 {
		part := Cents(1 + rng.Int64N(int64(l.MonthlyPayment-1)))
		repay(l, Anchor.AddDate(0, 0, -(1+rng.IntN(5))), part)
	}
}

// fillClosed: variant 0 repays installment by installment, 1 repays a few
// installments and then the rest in one payment.
func fillClosed(rng *rand.Rand, l *Loan, variant int) {
	paidOut(rng, l, l.Duration+1+rng.IntN(6))
	l.Status = StatusPaidOut
	if variant == 0 || l.Duration < 2 {
		for i := range l.Duration {
			repay(l, l.Installments[i].DueDate.AddDate(0, 0, -rng.IntN(5)), l.MonthlyPayment)
		}
	} else {
		j := rng.IntN(l.Duration - 1)
		for i := range j {
			repay(l, l.Installments[i].DueDate.AddDate(0, 0, -rng.IntN(5)), l.MonthlyPayment)
		}
		repay(l, l.Installments[j].DueDate.AddDate(0, 0, -rng.IntN(5)), l.RemainingBalance())
	}
	l.ClosedAt = l.UpdatedAt
}

func repay(l *Loan, day time.Time, amt Cents) {
	day = dayOf(day)
	at := day.Add(10 * time.Hour)
	applyRepayment(l, Repayment{Date: day, Amount: amt, ReceivedAt: at})
	l.UpdatedAt = at
}

func maxTime(ts ...time.Time) time.Time {
	var m time.Time
	for _, t := range ts {
		if t.After(m) {
			m = t
		}
	}
	return m
}
