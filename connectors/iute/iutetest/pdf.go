package iutetest

import (
	"bytes"
	"fmt"
	"strings"
	"time"
)

// agreementPDF renders a small, valid one-page PDF 1.4 agreement.
func agreementPDF(l *Loan, lang string, now time.Time) []byte {
	lines := []string{
		"IUTE CREDIT - SPECIFIC LOAN AGREEMENT",
		"",
		fmt.Sprintf("Loan ref: %d    Language: %s", l.Ref, lang),
		"Date: " + formatDate(now),
		"Client: " + l.ClientName() + " (" + l.Application.PIN + ")",
		"Principal: " + l.Principal.String(),
		fmt.Sprintf("Period: %d months", l.Duration),
		"Monthly payment: " + l.MonthlyPayment.String(),
		"Total repayable: " + l.TotalBalance.String(),
		"First repayment date: " + formatDate(l.FirstRepaymentDate),
		"",
		"Signature: ______________________",
	}
	var content strings.Builder
	content.WriteString("BT\n/F1 12 Tf\n16 TL\n50 790 Td\n")
	for _, ln := range lines {
		content.WriteString("(" + pdfText(ln) + ") Tj T*\n")
	}
	content.WriteString("ET\n")

	objs := []string{
		"<< /Type /Catalog /Pages 2 0 R >>",
		"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
		"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /Font << /F1 4 0 R >> >> /Contents 5 0 R >>",
		"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>",
		fmt.Sprintf("<< /Length %d >>\nstream\n%sendstream", content.Len(), content.String()),
		fmt.Sprintf("<< /Title (%s) /Producer (iutetest) >>", pdfText(fmt.Sprintf("specific_agreement_%d_%s", l.Ref, lang))),
	}
	var b bytes.Buffer
	b.WriteString("%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
	offsets := make([]int, len(objs))
	for i, o := range objs {
		offsets[i] = b.Len()
		fmt.Fprintf(&b, "%d 0 obj\n%s\nendobj\n", i+1, o)
	}
	xref := b.Len()
	fmt.Fprintf(&b, "xref\n0 %d\n0000000000 65535 f \n", len(objs)+1)
	for _, off := range offsets {
		fmt.Fprintf(&b, "%010d 00000 n \n", off)
	}
	fmt.Fprintf(&b, "trailer\n<< /Size %d /Root 1 0 R /Info 6 0 R >>\nstartxref\n%d\n%%%%EOF\n", len(objs)+1, xref)
	return b.Bytes()
}

var translit = map[rune]rune{
	'ă': 'a', 'â': 'a', 'î': 'i', 'ș': 's', 'ş': 's', 'ț': 't', 'ţ': 't', 'ç': 'c', 'ë': 'e',
	'Ă': 'A', 'Â': 'A', 'Î': 'I', 'Ș': 'S', 'Ş': 'S', 'Ț': 'T', 'Ţ': 'T', 'Ç': 'C', 'Ë': 'E',
}

// pdfText escapes a string for a PDF literal; Romanian and Albanian letters
// are transliterated and other characters outside printable ASCII become '?'.
func pdfText(s string) string {
	var b strings.Builder
	for _, r := range s {
		if t, ok := translit[r]; ok {
			r = t
		}
		switch {
		case r == '(' || r == ')' || r == '\\':
			b.WriteByte('\\')
			b.WriteRune(r)
		case r >= 0x20 && r < 0x7f:
			b.WriteRune(r)
		default:
			b.WriteByte('?')
		}
	}
	return b.String()
}
