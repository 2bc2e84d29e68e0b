package lumi

import "github.com/leadpipe/leadpipe/schema"

// attributes declares the privacy class of every key the connector writes
// into attributes (see schema.AttrClasses); the privacy policy acts on them.
var attributes = map[*schema.Table]schema.AttrClasses{
	schema.Leads: {
		"application_id":              schema.NotPersonal,
		"application_type":            schema.NotPersonal,
		"applicant_credit_score":      schema.NotPersonal,
		"ato_debt":                    schema.NotPersonal,
		"ato_debt_details":            schema.FreeText,
		"broker_notes":                schema.FreeText,
		"business_number_note":        schema.NotPersonal,
		"company_address":             schema.NotPersonal, // the business's address
		"company_credit_score":        schema.NotPersonal,
		"country_raw":                 schema.NotPersonal,
		"credit_decline_reasons":      schema.NotPersonal,
		"drivers_license_card_number": schema.GovID,
		"drivers_license_number":      schema.GovID,
		"drivers_license_state":       schema.NotPersonal, // which state issued it, not the licence
		"email_raw":                   schema.Email,       // an address the connector could not read
		"expires_at":                  schema.NotPersonal,
		"has_other_loans":             schema.NotPersonal,
		"has_property":                schema.NotPersonal,
		// The applicant's home: the street goes, the locality stays.
		"home_address":               schema.HomeAddress,
		"home_address.street_number": schema.HomeAddress,
		"home_address.street":        schema.HomeAddress,
		"home_address.city":          schema.NotPersonal,
		"home_address.postal_code":   schema.NotPersonal,
		"home_address.state":         schema.NotPersonal,
		"home_address.country":       schema.NotPersonal,
		"installments_weeks":         schema.NotPersonal,
		"loan_amount":                schema.NotPersonal,
		"loan_id":                    schema.NotPersonal,
		"lost_reasons":               schema.NotPersonal,
		"number_of_employees":        schema.NotPersonal,
		"other_loan_details":         schema.FreeText,
		"phone_raw":                  schema.Phone, // a number that is not valid for its region
		"preferred_loan_type":        schema.NotPersonal,
		"property_info":              schema.FreeText,
		"reason_for_loan":            schema.NotPersonal,
		"use_of_funds":               schema.FreeText,
		"website":                    schema.NotPersonal,
	},
	schema.Events: {
		"created_at":    schema.NotPersonal,
		"direction_raw": schema.NotPersonal,
	},
	schema.Loans: {
		"application_id":        schema.NotPersonal,
		"application_type":      schema.NotPersonal,
		"commission_percentage": schema.NotPersonal,
		"funded_at_note":        schema.NotPersonal,
		"loan_product_type":     schema.NotPersonal,
		"requested_amount":      schema.NotPersonal,
		"top_up_amount":         schema.NotPersonal,
	},
}

// pushPrivacy declares the personal fields of the push targets.
var pushPrivacy = map[string]map[string]schema.PrivacyClass{
	"leads": {
		"customer.first_name":                  schema.PersonName,
		"customer.last_name":                   schema.PersonName,
		"customer.email":                       schema.Email,
		"customer.phone":                       schema.Phone,
		"customer.date_of_birth":               schema.BirthDate,
		"customer.drivers_license_number":      schema.GovID,
		"customer.drivers_license_card_number": schema.GovID,
		"customer.address.street_number":       schema.HomeAddress,
		"customer.address.street":              schema.HomeAddress,
		"customer.address.city":                schema.NotPersonal,
		"customer.address.postal_code":         schema.NotPersonal,
		"customer.address.state":               schema.NotPersonal,
		"customer.address.country":             schema.NotPersonal,
		"referred_by":                          schema.Email, // a partner's address
		"broker_notes":                         schema.FreeText,
	},
}
