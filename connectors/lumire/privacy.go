package lumire

import "github.com/leadpipe/leadpipe/schema"

// attributes declares the privacy class of every key the connector writes
// into attributes (see schema.AttrClasses); the privacy policy acts on them.
// metadata is the tenant's own free-form object and extra holds fields the
// API sent that the connector does not know: their keys are judged by name.
var attributes = map[*schema.Table]schema.AttrClasses{
	schema.Leads: {
		"assigned_to_email": schema.Email, // a CRM user's address
		"assigned_to_id":    schema.NotPersonal,
		"assigned_to_name":  schema.PersonName,
		"converted_at":      schema.NotPersonal,
		"country_raw":       schema.NotPersonal,
		"email_raw":         schema.Email,
		"extra.*":           schema.Unclassified,
		"metadata.*":        schema.Unclassified,
		"phone_raw":         schema.Phone,
		"pipeline_stage_id": schema.NotPersonal,
		"score":             schema.NotPersonal,
		"trader_id":         schema.NotPersonal,
	},
	schema.Events: {
		"created_at":    schema.NotPersonal,
		"created_by_id": schema.NotPersonal,
		"extra.*":       schema.Unclassified,
		"status_from":   schema.NotPersonal,
		"status_to":     schema.NotPersonal,
		"subject":       schema.FreeText,
		"trader_id":     schema.NotPersonal,
	},
	schema.Payments: {
		"amount_exact":      schema.NotPersonal,
		"amount_raw":        schema.NotPersonal,
		"created_at":        schema.NotPersonal,
		"description":       schema.FreeText,
		"destination_ref":   schema.AccountNumber, // an IBAN, a card, a wallet or an e-wallet address
		"external_id":       schema.NotPersonal,
		"extra.*":           schema.Unclassified,
		"fee_amount":        schema.NotPersonal,
		"metadata.*":        schema.Unclassified,
		"method":            schema.NotPersonal,
		"net_amount":        schema.NotPersonal,
		"payment_method_id": schema.NotPersonal,
		"reconciled":        schema.NotPersonal,
		"reference":         schema.NotPersonal,
		"settled_at":        schema.NotPersonal,
		"source":            schema.NotPersonal,
		"trader_id":         schema.NotPersonal,
		"updated_at":        schema.NotPersonal,
		"vendor_kind":       schema.NotPersonal,
		"vendor_status":     schema.NotPersonal,
	},
}

// pushPrivacy declares the personal fields of the push targets.
var pushPrivacy = map[string]map[string]schema.PrivacyClass{
	"leads": {
		"email":     schema.Email,
		"phone":     schema.Phone,
		"firstName": schema.PersonName,
		"lastName":  schema.PersonName,
	},
}
