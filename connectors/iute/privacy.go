package iute

import "github.com/leadpipe/leadpipe/schema"

// attributes declares the privacy class of every key the connector writes
// into attributes (see schema.AttrClasses); the privacy policy acts on them.
var attributes = map[*schema.Table]schema.AttrClasses{
	schema.Loans: {
		"allow_cash_release_message": schema.NotPersonal,
		"approved":                   schema.NotPersonal,
		"cash_release_allowed":       schema.NotPersonal,
		"check_status_message":       schema.NotPersonal,
		"client_first_name":          schema.PersonName,
		"client_last_name":           schema.PersonName,
		"client_name":                schema.PersonName,
		"client_pin":                 schema.GovID, // the Moldovan personal number (IDNP)
		"installments_paid":          schema.NotPersonal,
		"loan_info_message":          schema.NotPersonal,
		"loan_status":                schema.NotPersonal,
		"polls_unknown":              schema.NotPersonal,
		"repaid_in_full":             schema.NotPersonal,
	},
}

// pushPrivacy declares the personal fields of the push targets.
var pushPrivacy = map[string]map[string]schema.PrivacyClass{
	"loans": {
		"pin":               schema.GovID,
		"document_serial":   schema.GovID,
		"birth_date":        schema.BirthDate,
		"first_name":        schema.PersonName,
		"last_name":         schema.PersonName,
		"patronymic":        schema.PersonName,
		"alt_contact_name":  schema.PersonName,
		"gsm":               schema.Phone,
		"phone_home":        schema.Phone,
		"alt_contact_phone": schema.Phone,
		"street":            schema.HomeAddress,
		"house_nr":          schema.HomeAddress,
		"apartment_nr":      schema.HomeAddress,
		"town":              schema.NotPersonal,
	},
	"cash_releases": {"client_pin": schema.GovID},
}
