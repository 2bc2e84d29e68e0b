package bizcap

import "github.com/leadpipe/leadpipe/schema"

// attributes declares the privacy class of every key the connector writes
// into attributes (see schema.AttrClasses); the privacy policy acts on them.
// Every documented datapoint without a canonical column is kept there as
// sent, so each one is declared.
var attributes = map[*schema.Table]schema.AttrClasses{
	schema.Leads: merge(sharedAttributes, schema.AttrClasses{
		"abn": schema.NotPersonal, "acn": schema.NotPersonal, "nzbn": schema.NotPersonal,
		"crn": schema.NotPersonal, "uen": schema.NotPersonal,
		"address_source":                 schema.NotPersonal,
		"amountRequested":                schema.NotPersonal, // kept when it is not a number
		"applicationCompleted":           schema.NotPersonal,
		"applicationCompletedDate":       schema.NotPersonal,
		"averageMonthlyTurnover":         schema.NotPersonal,
		"bankStatementsReceived":         schema.NotPersonal,
		"bankStatementsReceivedDate":     schema.NotPersonal,
		"brokerContactEmail":             schema.Email, // the broker's contact, a person
		"brokerContactName":              schema.PersonName,
		"brokerContactNumber":            schema.Phone,
		"businessAddress":                schema.NotPersonal,
		"businessStartDate":              schema.NotPersonal,
		"business_number_note":           schema.NotPersonal,
		"citizenshipStatus":              schema.NotPersonal,
		"convertedDealId":                schema.NotPersonal,
		"country_note":                   schema.NotPersonal,
		"dateOfBirth":                    schema.BirthDate, // kept when it is not a date
		"delegateTo":                     schema.NotPersonal,
		"documentId":                     schema.NotPersonal, // an Illion document id
		"driverVersionNumber":            schema.GovID,
		"driversLicenseNumber":           schema.GovID,
		"email":                          schema.Email, // kept when it is not an address
		"homeOwner":                      schema.NotPersonal,
		"industryCategory":               schema.NotPersonal,
		"loanType":                       schema.NotPersonal,
		"notes":                          schema.FreeText,
		"partnerNotes":                   schema.FreeText,
		"phone":                          schema.Phone,       // kept when it is not a valid number
		"physicalAddress":                schema.NotPersonal, // where the business operates
		"provisoLinkPdf":                 schema.NotPersonal,
		"bankStatementsCreditsSenseLink": schema.NotPersonal,
		"applicationLink":                schema.NotPersonal,
		// The applicant's home: the street goes, the locality stays.
		"residentialAddress":              schema.HomeAddress,
		"residentialAddress.addressLine1": schema.HomeAddress,
		"residentialAddress.addressLine2": schema.HomeAddress,
		"residentialAddress.fullAddress":  schema.HomeAddress,
		"residentialAddress.city":         schema.NotPersonal,
		"residentialAddress.state":        schema.NotPersonal,
		"residentialAddress.zipCode":      schema.NotPersonal,
		"residentialAddress.country":      schema.NotPersonal,
		"secondaryEmail":                  schema.Email,
		"secondaryPhone":                  schema.Phone,
		"soleDirector":                    schema.NotPersonal,
		"suitableProducts":                schema.NotPersonal,
		"tradingAddress":                  schema.NotPersonal,
		"tradingName":                     schema.NotPersonal,
	}),
	schema.Loans: merge(sharedAttributes, schema.AttrClasses{
		"amount":                schema.NotPersonal,
		"customer":              schema.NotPersonal, // the customer company's id and name
		"decline_reasons":       schema.NotPersonal,
		"lead_link":             schema.NotPersonal,
		"loanType":              schema.NotPersonal,
		"name":                  schema.NotPersonal, // the deal's name
		"omAdvanceID":           schema.NotPersonal,
		"omAdvanceType":         schema.NotPersonal,
		"omCollectionFrequency": schema.NotPersonal,
		"omDateFunded":          schema.NotPersonal,
		"omDeclineReasons":      schema.NotPersonal,
		"omNumberOfPayments":    schema.NotPersonal,
		"omPaybackAmount":       schema.NotPersonal,
		"omPrincipalAmount":     schema.NotPersonal,
		"omTermDays":            schema.NotPersonal,
		"sfid":                  schema.NotPersonal,
	}),
}

// sharedAttributes are the datapoints leads and deals both have.
var sharedAttributes = schema.AttrClasses{
	"bankStatementsUpdateLink":  schema.NotPersonal,
	"broker":                    schema.NotPersonal, // the broker firm
	"brokerRep":                 schema.NotPersonal,
	"brokerRep.firstName":       schema.PersonName,
	"brokerRep.lastName":        schema.PersonName,
	"callClientOrBroker":        schema.NotPersonal,
	"callOnBehalfOf":            schema.NotPersonal,
	"createdBy":                 schema.NotPersonal,
	"internalBdmUser":           schema.NotPersonal,
	"internalBdmUser.firstName": schema.PersonName,
	"internalBdmUser.lastName":  schema.PersonName,
	"lastActivityDate":          schema.NotPersonal,
	"lastCallDate":              schema.NotPersonal,
	"market_from":               schema.NotPersonal, // what told the record's market: nzbn, businessAddress.country, phone...
	"numberOfCallsMade":         schema.NotPersonal,
	"partnerLeadReferenceId":    schema.NotPersonal,
	"statusSinceDate":           schema.NotPersonal,
	"subStatus":                 schema.NotPersonal,
	"subStatusSinceDate":        schema.NotPersonal,
	"updatedBy":                 schema.NotPersonal,
	"watchers":                  schema.NotPersonal,
}

func merge(a, b schema.AttrClasses) schema.AttrClasses {
	out := make(schema.AttrClasses, len(a)+len(b))
	for k, v := range a {
		out[k] = v
	}
	for k, v := range b {
		out[k] = v
	}
	return out
}

// pushPrivacy declares the personal fields of the push targets.
var pushPrivacy = map[string]map[string]schema.PrivacyClass{
	"leads": {
		"firstName":                       schema.PersonName,
		"lastName":                        schema.PersonName,
		"brokerContactName":               schema.PersonName,
		"email":                           schema.Email,
		"secondaryEmail":                  schema.Email,
		"brokerContactEmail":              schema.Email,
		"phone":                           schema.Phone,
		"secondaryPhone":                  schema.Phone,
		"brokerContactNumber":             schema.Phone,
		"dateOfBirth":                     schema.BirthDate,
		"driversLicenseNumber":            schema.GovID,
		"driverVersionNumber":             schema.GovID,
		"residentialAddress.addressLine1": schema.HomeAddress,
		"residentialAddress.addressLine2": schema.HomeAddress,
		"residentialAddress.city":         schema.NotPersonal,
		"residentialAddress.state":        schema.NotPersonal,
		"residentialAddress.zipCode":      schema.NotPersonal,
		"residentialAddress.country":      schema.NotPersonal,
		"notes":                           schema.FreeText,
		"partnerNotes":                    schema.FreeText,
	},
}
