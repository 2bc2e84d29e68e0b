package schema

import (
	"fmt"
	"sort"
	"strings"
)

// PrivacyClass is the kind of personal data a column or an attribute key
// holds. It is declared, never guessed: every canonical column carries one
// in its `pii` tag (Column.Privacy), and every connector declares the class
// of each attribute key it writes (connectors.Spec.Attributes). The privacy
// policy (transforms/privacy) acts on these classes; it judges by name only
// the attribute keys nobody declared.
type PrivacyClass uint8

// The privacy classes. The comment after each is what the default policy
// does with it.
const (
	// Unclassified is the zero value: declared nowhere. A canonical column
	// must not be unclassified (a test lists them all); an attribute key
	// declared Unclassified, or under a "prefix.*" declaration, is one whose
	// name the vendor's users choose (custom fields), judged by its name.
	Unclassified  PrivacyClass = iota
	NotPersonal                // kept: not about a person (ids, statuses, amounts, a business's details)
	PersonName                 // kept: a person's name
	FreeText                   // kept: text people typed (notes, subjects); may mention anything
	GovID                      // dropped: licence, card and document numbers, PIN, passport, tax file number
	BirthDate                  // dropped: a date of birth (birth_year is not one)
	Email                      // hashed: an email address
	Phone                      // hashed: a phone number
	HomeAddress                // masked: a person's home address or its street line (locality is NotPersonal)
	AccountNumber              // masked: a bank account, card or wallet a person is paid from or to
	PerKey                     // the attributes column: each key has its own class
)

var privacyNames = [...]string{"unclassified", "none", "name", "free_text", "government_id", "date_of_birth",
	"email", "phone", "home_address", "account_number", "per_key"}

var privacyLabels = [...]string{"unclassified", "not personal", "a person's name", "free text", "a government id",
	"a date of birth", "an email address", "a phone number", "a home address", "an account number",
	"one class per key"}

// Name is the class's identifier, as written in `pii` tags and listings:
// none, name, free_text, government_id, date_of_birth, email, phone,
// home_address, account_number, per_key.
func (c PrivacyClass) Name() string {
	if int(c) < len(privacyNames) {
		return privacyNames[c]
	}
	return fmt.Sprintf("class(%d)", c)
}

// String describes the class in words ("a home address"), for messages.
func (c PrivacyClass) String() string {
	if int(c) < len(privacyLabels) {
		return privacyLabels[c]
	}
	return c.Name()
}

// Personal reports whether the class is personal data the default policy
// does not keep as it is.
func (c PrivacyClass) Personal() bool {
	switch c {
	case GovID, BirthDate, Email, Phone, HomeAddress, AccountNumber:
		return true
	}
	return false
}

// ParsePrivacyClass reads a class by its Name.
func ParsePrivacyClass(s string) (PrivacyClass, bool) {
	for i, n := range privacyNames {
		if s == n {
			return PrivacyClass(i), true
		}
	}
	return Unclassified, false
}

// AttrClasses declares the privacy class of the keys a connector writes into
// one table's attributes, by dotted path from the top of the object:
// "home_address.street" is the key street inside home_address. The elements
// of a list share their key's path. A declared object's keys that are not
// declared themselves take the object's class. "custom_fields.*" (class
// Unclassified) says that the keys under custom_fields are named by the
// vendor's users: the policy judges them by name.
type AttrClasses map[string]PrivacyClass

// Lookup finds the class of a path (its segments): the declaration of the
// path itself, or of its nearest declared ancestor. wild is true when the
// path falls under a "prefix.*" declaration or an Unclassified one (judge
// it by name); ok is false when nothing declares it.
func (a AttrClasses) Lookup(path ...string) (c PrivacyClass, wild, ok bool) {
	for n := len(path); n > 0; n-- {
		p := strings.Join(path[:n], ".")
		if _, star := a[p+".*"]; star {
			return Unclassified, true, true
		}
		if cl, found := a[p]; found {
			return cl, cl == Unclassified, true
		}
	}
	return Unclassified, false, false
}

// Paths lists the declared paths, sorted.
func (a AttrClasses) Paths() []string {
	out := make([]string, 0, len(a))
	for p := range a {
		out = append(out, p)
	}
	sort.Strings(out)
	return out
}
