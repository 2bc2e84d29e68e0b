package lofty

import "github.com/leadpipe/leadpipe/schema"

// attributes declares the privacy class of every key the connector writes
// into attributes (see schema.AttrClasses); the privacy policy acts on them.
// A lead keeps every LeadResponse field without a canonical column as sent,
// so each documented one is declared; custom fields are named by the team
// and judged by name.
var attributes = map[*schema.Table]schema.AttrClasses{
	schema.Leads: {
		"amount_requested_raw":              schema.NotPersonal,
		"assignCompletionStatus":            schema.NotPersonal,
		"assignTime":                        schema.NotPersonal,
		"assignedUserId":                    schema.NotPersonal,
		"birthday":                          schema.BirthDate, // kept when it is not a date
		"buyHouse":                          schema.NotPersonal,
		"buyingTimeFrame":                   schema.NotPersonal,
		"cannotCall":                        schema.NotPersonal,
		"cannotEmail":                       schema.NotPersonal,
		"cannotText":                        schema.NotPersonal,
		"customRoleList":                    schema.NotPersonal,
		"customRoleList.assignee":           schema.PersonName,
		"custom_fields.*":                   schema.Unclassified,
		"facebook":                          schema.PersonName, // the lead's account name
		"fthb":                              schema.NotPersonal,
		"groups":                            schema.NotPersonal,
		"houseToSell":                       schema.NotPersonal, // Yes/No, not an address
		"language":                          schema.NotPersonal,
		"lastTouch":                         schema.NotPersonal,
		"lastVisit":                         schema.NotPersonal,
		"leadFamilyMemberList":              schema.NotPersonal,
		"leadFamilyMemberList.birthday":     schema.BirthDate,
		"leadFamilyMemberList.emails":       schema.Email,
		"leadFamilyMemberList.firstName":    schema.PersonName,
		"leadFamilyMemberList.lastName":     schema.PersonName,
		"leadFamilyMemberList.phones":       schema.Phone,
		"leadFamilyMemberList.relationship": schema.NotPersonal,
		// What the lead is looking for: places to buy in, not where they live.
		"leadInquiry":      schema.NotPersonal,
		"leadPropertyList": schema.NotPersonal,
		// A property the lead owns or sells: often their home.
		"leadPropertyList.streetAddress": schema.HomeAddress,
		"leadPropertyList.note":          schema.FreeText,
		"leadSource":                     schema.NotPersonal,
		"leadType":                       schema.NotPersonal,
		"leadTypes":                      schema.NotPersonal,
		"leadUserId":                     schema.NotPersonal,
		"lead_type_name":                 schema.NotPersonal,
		"lead_type_names":                schema.NotPersonal,
		"lenderUserId":                   schema.NotPersonal,
		"monthly_turnover_raw":           schema.NotPersonal,
		"mortgage":                       schema.NotPersonal,
		"opportunity":                    schema.NotPersonal,
		"other_emails":                   schema.Email,
		"other_phones":                   schema.Phone, // the lead's other numbers, and any not valid for its region
		"phoneStatuses":                  schema.NotPersonal,
		"pondId":                         schema.NotPersonal,
		"pondName":                       schema.NotPersonal,
		"preQual":                        schema.NotPersonal,
		"privateFlag":                    schema.NotPersonal,
		"referredBy":                     schema.PersonName,
		"score":                          schema.NotPersonal,
		"segments":                       schema.NotPersonal,
		"sellingTimeFrame":               schema.NotPersonal,
		"stageId":                        schema.NotPersonal,
		"streetAddress":                  schema.HomeAddress,
		"tags":                           schema.NotPersonal,
		"teamId":                         schema.NotPersonal,
		"twitter":                        schema.PersonName, // the lead's account name
		"unsubscription":                 schema.NotPersonal,
	},
	schema.Events: {
		"agent_id":              schema.NotPersonal,
		"call_status":           schema.NotPersonal,
		"calling_outcome":       schema.NotPersonal,
		"creator_id":            schema.NotPersonal,
		"creator_name":          schema.PersonName,
		"dialer_call_record_id": schema.NotPersonal,
		"direction_raw":         schema.NotPersonal,
		"duration_seconds":      schema.NotPersonal,
		"elapsed_time":          schema.NotPersonal,
		"email_event_type":      schema.NotPersonal,
		"email_type":            schema.NotPersonal,
		"end_time":              schema.NotPersonal,
		"from_pond":             schema.NotPersonal,
		"is_machine_answered":   schema.NotPersonal,
		"is_pin":                schema.NotPersonal, // pinned to the timeline
		"last_editor_id":        schema.NotPersonal,
		"last_editor_name":      schema.PersonName,
		"last_update":           schema.NotPersonal,
		"lead_phone_number":     schema.Phone,
		"link":                  schema.NotPersonal,
		// A listing the lead looked at: a property for sale, public.
		"listing":             schema.NotPersonal,
		"note":                schema.FreeText,
		"page_name":           schema.NotPersonal,
		"picture":             schema.NotPersonal,
		"price":               schema.NotPersonal,
		"rate_score":          schema.NotPersonal,
		"recording_switch":    schema.NotPersonal,
		"scheduled_date":      schema.NotPersonal,
		"show_user_number":    schema.Phone,
		"source":              schema.NotPersonal,
		"stage_from":          schema.NotPersonal,
		"stage_to":            schema.NotPersonal,
		"start_time":          schema.NotPersonal,
		"system_note":         schema.NotPersonal,
		"text":                schema.FreeText,
		"text_outcome":        schema.NotPersonal,
		"text_type":           schema.NotPersonal,
		"timeline_id":         schema.NotPersonal,
		"update_time":         schema.NotPersonal,
		"user_id":             schema.NotPersonal,
		"user_phone_number":   schema.Phone,
		"calls_endpoint_note": schema.NotPersonal,
	},
}

// pushPrivacy declares the personal fields of the push targets, and the
// flags whose names mention what they are not.
var pushPrivacy = map[string]map[string]schema.PrivacyClass{
	"leads": {
		"firstName":     schema.PersonName,
		"lastName":      schema.PersonName,
		"emails":        schema.Email,
		"phones":        schema.Phone,
		"birthday":      schema.BirthDate,
		"streetAddress": schema.HomeAddress,
		"referredBy":    schema.PersonName,
		"content":       schema.FreeText,
		"cannotEmail":   schema.NotPersonal,
		"welcomeEmail":  schema.NotPersonal,
		"isPin":         schema.NotPersonal,
		"houseToSell":   schema.NotPersonal,
	},
}
