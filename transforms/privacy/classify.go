package privacy

import (
	"strings"
	"unicode"

	"github.com/leadpipe/leadpipe/schema"
)

// Class is the kind of personal data a column or attribute key holds: the
// schema's privacy class. Canonical columns and the attribute keys a
// connector writes declare theirs; Classify judges the others by name.
type Class = schema.PrivacyClass

// The classes the policy acts on.
const (
	None        = schema.NotPersonal
	GovID       = schema.GovID
	BirthDate   = schema.BirthDate
	Email       = schema.Email
	Phone       = schema.Phone
	HomeAddress = schema.HomeAddress
	Account     = schema.AccountNumber
)

// DefaultAction is what the safe default policy does with a class:
// government ids and dates of birth are dropped, emails and phones hashed,
// home addresses masked (the street goes, the suburb, state, postcode and
// country stay), account numbers masked to their last four characters.
// Everything else is kept.
func DefaultAction(c Class) Action {
	switch c {
	case GovID, BirthDate:
		return Drop
	case Email, Phone:
		return Hash
	case HomeAddress, Account:
		return Mask
	}
	return Keep
}

// Tokens splits a name into lower-case words: "driversLicenseNumber",
// "drivers_license_number" and "Drivers-License Number" all give
// [drivers license number].
func Tokens(name string) []string {
	var out []string
	var cur []rune
	flush := func() {
		if len(cur) > 0 {
			out = append(out, strings.ToLower(string(cur)))
			cur = cur[:0]
		}
	}
	rs := []rune(name)
	for i, r := range rs {
		switch {
		case unicode.IsLetter(r) || unicode.IsDigit(r):
			// A new word starts at an upper-case letter after a lower-case
			// one or a digit ("dateOfBirth"), and at the last capital of a
			// run followed by lower case ("PINCode" → PIN, Code).
			if unicode.IsUpper(r) && len(cur) > 0 {
				prev := rs[i-1]
				next := rune(0)
				if i+1 < len(rs) {
					next = rs[i+1]
				}
				if unicode.IsLower(prev) || unicode.IsDigit(prev) || (unicode.IsUpper(prev) && unicode.IsLower(next)) {
					flush()
				}
			}
			cur = append(cur, r)
		default:
			flush()
		}
	}
	flush()
	return out
}

// Normalize is the form names are matched in: the tokens joined, so that a
// policy's drivers_license_number also matches a vendor's
// driversLicenseNumber.
func Normalize(name string) string { return strings.Join(Tokens(name), "") }

// meta words make a name describe data about a value rather than the
// value itself: email_status, phone_type, address_source.
var meta = set("source", "type", "status", "note", "notes", "verified", "valid", "validated", "consent", "optin",
	"opt", "count", "flag", "format", "kind", "label", "confirmed", "bounced", "preferred", "allowed")

var (
	govWords     = set("pin", "idnp", "ssn", "tfn", "passport", "nino", "nin", "cnp", "pesel", "nric", "aadhaar", "medicare", "egn", "oib", "jmbg", "cpf", "curp", "dni", "nie")
	licenceWords = set("licence", "license", "licenses", "licences", "driver", "drivers", "licenceno", "licenseno")
	numberWords  = set("number", "no", "num", "nr", "id", "card", "version", "serial", "code")
	docWords     = set("document", "doc", "identity", "identification", "passport")
	serialWords  = set("serial", "number", "no", "nr", "num")
	phoneWords   = set("phone", "phones", "mobile", "mobiles", "gsm", "tel", "telephone", "cell", "cellphone", "fax", "whatsapp", "msisdn", "landline")
	emailWords   = set("email", "emails", "mail", "mails", "emailaddress")
	bizWords     = set("company", "business", "trading", "office", "registered", "physical", "billing", "shipping", "branch", "store", "ip", "web", "website", "url")
	streetWords  = set("street", "streetname", "streetnumber", "housenr", "housenumber", "apartmentnr", "addressline1", "addressline2", "fulladdress")
	// dwellingWords name a street address only with a number word beside
	// them (house_number, flat_no): alone they are ordinary words of other
	// fields (houseToSell, term_unit, flat_fee).
	dwellingWords = set("house", "apartment", "flat", "unit")
	dwellingNums  = set("number", "no", "nr", "num")
)

func set(words ...string) map[string]bool {
	m := make(map[string]bool, len(words))
	for _, w := range words {
		m[w] = true
	}
	return m
}

// Classify judges what a field holds from its name alone, word by word
// (whole words: "unit" in term_unit is the word unit, and unit alone says
// nothing). It is the fallback for names nobody declared: attribute keys no
// connector knows (a vendor's new field, a custom field) and the columns of
// a push pipeline's input file. It is never used on a canonical column. It
// errs on the side of privacy for the classes whose default drops data, and
// the value checks of Email and Phone (see looksLike) keep a name-only guess
// from hashing a value that is not an address or a number.
func Classify(name string) Class {
	toks := Tokens(name)
	if len(toks) == 0 {
		return None
	}
	has := func(s map[string]bool) bool {
		for _, t := range toks {
			if s[t] {
				return true
			}
		}
		return false
	}
	word := func(w string) bool {
		for _, t := range toks {
			if t == w {
				return true
			}
		}
		return false
	}
	if has(meta) {
		return None
	}
	switch {
	case word("dob") || word("birthday") || word("birthdate") || word("dateofbirth"),
		word("birth") && !word("year") && !word("place") && !word("country") && !word("city"):
		return BirthDate
	case has(govWords),
		has(licenceWords) && has(numberWords),
		has(docWords) && has(serialWords),
		word("card") && (word("number") || word("no") || word("nr")),
		(word("personal") || word("national") || word("citizen")) && (word("code") || word("id") || word("number") || word("identification")),
		word("tax") && (word("file") || word("id")) && !has(bizWords),
		word("id") && word("number") && !has(bizWords) && len(toks) == 2:
		return GovID
	case has(emailWords):
		return Email
	case has(phoneWords), word("contact") && word("number"):
		return Phone
	case word("address") && !has(bizWords):
		return HomeAddress
	case (has(streetWords) || has(dwellingWords) && has(dwellingNums)) && !has(bizWords):
		return HomeAddress
	}
	return None
}

// streetLevel reports whether a key inside an address object holds the
// street line (masked away) rather than the locality (kept).
func streetLevel(key string) bool {
	toks := Tokens(key)
	for _, t := range toks {
		switch t {
		case "street", "streetname", "streetnumber", "house", "housenr", "housenumber", "apartment", "apartmentnr",
			"flat", "unit", "line1", "line2", "addressline1", "addressline2", "fulladdress", "full", "line", "number", "nr", "lat", "lng", "latitude", "longitude", "building":
			return true
		}
	}
	n := strings.Join(toks, "")
	return n == "address" || strings.HasPrefix(n, "addressline")
}
