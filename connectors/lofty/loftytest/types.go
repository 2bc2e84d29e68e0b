package loftytest

// The JSON shapes below follow section 6 (Definitions) of the Lofty API
// document field for field. Timestamps that the document types as "string"
// are RFC 3339 UTC strings ("2026-10-31T07:00:00Z"); LeadActivityRes.created
// is epoch milliseconds as documented.

// Tag is a UserLeadTagVo, the element of LeadResponse.tags.
type Tag struct {
	CreateTime    string `json:"createTime"`
	CreatorUserID int64  `json:"creatorUserId"`
	LeadID        int64  `json:"leadId"`
	TagID         int64  `json:"tagId"`
	TagName       string `json:"tagName"`
	UpdateTime    string `json:"updateTime"`
	VisibleType   int32  `json:"visibleType"`
}

// CustomAttribute is a user-defined field of a lead.
type CustomAttribute struct {
	AttributeName string `json:"attributeName"`
	AttributeType string `json:"attributeType"`
	Params        string `json:"params"`
	Value         string `json:"value"`
}

// CustomRole is an element of LeadResponse.customRoleList.
type CustomRole struct {
	Assignee   string `json:"assignee"`
	AssigneeID int64  `json:"assigneeId"`
	Role       string `json:"role"`
	RoleID     int32  `json:"roleId"`
}

// FamilyMember is a LeadFamilyMember.
type FamilyMember struct {
	Birthday     string   `json:"birthday"`
	Emails       []string `json:"emails"`
	FirstName    string   `json:"firstName"`
	LastName     string   `json:"lastName"`
	Phones       []string `json:"phones"`
	Relationship string   `json:"relationship"`
}

// Location is an element of an inquiry's locations.
type Location struct {
	City          string `json:"city"`
	County        string `json:"county"`
	Description   string `json:"description"`
	StateCode     string `json:"stateCode"`
	StreetAddress string `json:"streetAddress"`
	ZipCode       string `json:"zipCode"`
}

// Inquiry is a LeadInquiryRes (LeadInquiryReq in requests).
type Inquiry struct {
	BathroomsMax  string     `json:"bathroomsMax"`
	BathroomsMin  string     `json:"bathroomsMin"`
	BedroomsMax   *int32     `json:"bedroomsMax"`
	BedroomsMin   *int32     `json:"bedroomsMin"`
	CreateTime    string     `json:"createTime"`
	DefaultValue  bool       `json:"defaultValue"`
	ID            int64      `json:"id"`
	LeadUserID    int64      `json:"leadUserId"`
	Locations     []Location `json:"locations"`
	ModifyByAgent bool       `json:"modifyByAgent"`
	PriceMax      *int64     `json:"priceMax"`
	PriceMin      *int64     `json:"priceMin"`
	PropertyType  []string   `json:"propertyType"`
	UpdateTime    string     `json:"updateTime"`
}

// Property is a LeadPropertyRes (LeadPropertyReq in requests).
type Property struct {
	AutoListingID  int64   `json:"autoListingId"`
	Bathrooms      float64 `json:"bathrooms"`
	Bedrooms       int32   `json:"bedrooms"`
	City           string  `json:"city"`
	County         string  `json:"county"`
	Floors         int32   `json:"floors"`
	ID             int64   `json:"id"`
	Label          string  `json:"label"`
	LabelList      string  `json:"labelList"`
	LabelType      string  `json:"labelType"`
	LeadUserID     int64   `json:"leadUserId"`
	ListingID      string  `json:"listingId"`
	ListingStatus  string  `json:"listingStatus"`
	LotSize        float64 `json:"lotSize"`
	MailAddress    bool    `json:"mailAddress"`
	Note           string  `json:"note"`
	ParkingSpace   int64   `json:"parkingSpace"`
	PictureURL     string  `json:"pictureUrl"`
	Price          int64   `json:"price"`
	PropertyType   string  `json:"propertyType"`
	SiteListingURL string  `json:"siteListingUrl"`
	SquareFeet     int64   `json:"squareFeet"`
	State          string  `json:"state"`
	StreetAddress  string  `json:"streetAddress"`
	ZipCode        string  `json:"zipCode"`
}

// Lead is a LeadResponse exactly as the API returns it.
type Lead struct {
	AssignCompletionStatus bool              `json:"assignCompletionStatus"`
	AssignTime             string            `json:"assignTime"`
	AssignedUser           string            `json:"assignedUser"`
	AssignedUserID         *int64            `json:"assignedUserId"`
	Birthday               string            `json:"birthday"`
	BuyHouse               string            `json:"buyHouse"`
	BuyingTimeFrame        string            `json:"buyingTimeFrame"`
	CannotCall             bool              `json:"cannotCall"`
	CannotEmail            bool              `json:"cannotEmail"`
	CannotText             bool              `json:"cannotText"`
	City                   string            `json:"city"`
	CreateTime             string            `json:"createTime"`
	CustomAttributes       []CustomAttribute `json:"customAttributes"`
	CustomRoleList         []CustomRole      `json:"customRoleList"`
	Emails                 []string          `json:"emails"`
	Facebook               string            `json:"facebook"`
	FirstName              string            `json:"firstName"`
	Fthb                   string            `json:"fthb"`
	Groups                 []string          `json:"groups"`
	HouseToSell            string            `json:"houseToSell"`
	Language               string            `json:"language"`
	LastName               string            `json:"lastName"`
	LastTouch              string            `json:"lastTouch"`
	LastUpdateTime         string            `json:"lastUpdateTime"`
	LastVisit              string            `json:"lastVisit"`
	LeadFamilyMemberList   []FamilyMember    `json:"leadFamilyMemberList"`
	LeadID                 int64             `json:"leadId"`
	LeadInquiry            *Inquiry          `json:"leadInquiry"`
	LeadPropertyList       []Property        `json:"leadPropertyList"`
	LeadSource             int32             `json:"leadSource"`
	LeadType               int32             `json:"leadType"`
	LeadTypes              []int32           `json:"leadTypes"`
	LeadUserID             int64             `json:"leadUserId"`
	LenderUserID           *int64            `json:"lenderUserId"`
	Mortgage               string            `json:"mortgage"`
	Opportunity            string            `json:"opportunity"`
	PhoneStatuses          []int32           `json:"phoneStatuses"`
	Phones                 []string          `json:"phones"`
	PondID                 *int64            `json:"pondId"`
	PondName               string            `json:"pondName"`
	PreQual                string            `json:"preQual"`
	PrivateFlag            bool              `json:"privateFlag"`
	ReferredBy             string            `json:"referredBy"`
	Score                  int32             `json:"score"`
	Segments               []string          `json:"segments"`
	SellingTimeFrame       string            `json:"sellingTimeFrame"`
	Source                 string            `json:"source"`
	Stage                  string            `json:"stage"`
	StageID                *int64            `json:"stageId"`
	State                  string            `json:"state"`
	StreetAddress          string            `json:"streetAddress"`
	Tags                   []Tag             `json:"tags"`
	TeamID                 int64             `json:"teamId"`
	Twitter                string            `json:"twitter"`
	Unsubscription         bool              `json:"unsubscription"`
	WithBuyerAgent         string            `json:"withBuyerAgent"`
	WithListingAgent       string            `json:"withListingAgent"`
	ZipCode                string            `json:"zipCode"`
}

// LeadRequest is the body of POST /v1.0/leads (and, as EditLeadRequest, of
// PUT /v1.0/leads/{leadId}).
type LeadRequest struct {
	AssignGroupID        *int64            `json:"assignGroupId,omitempty"`
	AssignedUserID       *int64            `json:"assignedUserId,omitempty"`
	Birthday             string            `json:"birthday,omitempty"`
	BuyHouse             string            `json:"buyHouse,omitempty"`
	BuyingTimeFrame      string            `json:"buyingTimeFrame,omitempty"`
	CannotCall           *bool             `json:"cannotCall,omitempty"`
	CannotEmail          *bool             `json:"cannotEmail,omitempty"`
	CannotText           *bool             `json:"cannotText,omitempty"`
	City                 string            `json:"city,omitempty"`
	Content              string            `json:"content,omitempty"`
	CustomAttributeList  []CustomAttribute `json:"customAttributeList,omitempty"`
	Emails               []string          `json:"emails,omitempty"`
	FirstName            string            `json:"firstName,omitempty"`
	Fthb                 string            `json:"fthb,omitempty"`
	Groups               []string          `json:"groups,omitempty"`
	HouseToSell          string            `json:"houseToSell,omitempty"`
	Inquiry              *Inquiry          `json:"inquiry,omitempty"`
	IsPin                *bool             `json:"isPin,omitempty"`
	IsPrivate            *bool             `json:"isPrivate,omitempty"`
	Language             string            `json:"language,omitempty"`
	LastName             string            `json:"lastName,omitempty"`
	LeadAlert            *bool             `json:"leadAlert,omitempty"`
	LeadFamilyMemberList []FamilyMember    `json:"leadFamilyMemberList,omitempty"`
	LeadRouting          *bool             `json:"leadRouting,omitempty"`
	LeadType             *int32            `json:"leadType,omitempty"`
	LeadTypes            []int32           `json:"leadTypes,omitempty"`
	Mortgage             string            `json:"mortgage,omitempty"`
	Phones               []string          `json:"phones,omitempty"`
	PreQual              string            `json:"preQual,omitempty"`
	Property             *Property         `json:"property,omitempty"`
	ReferredBy           string            `json:"referredBy,omitempty"`
	Segments             []string          `json:"segments,omitempty"`
	SellingTimeFrame     string            `json:"sellingTimeFrame,omitempty"`
	Source               string            `json:"source,omitempty"`
	Stage                string            `json:"stage,omitempty"`
	State                string            `json:"state,omitempty"`
	StreetAddress        string            `json:"streetAddress,omitempty"`
	Tags                 []string          `json:"tags,omitempty"`
	TagsAdd              []string          `json:"tagsAdd,omitempty"`
	Unsubscription       *bool             `json:"unsubscription,omitempty"`
	WelcomeEmail         *bool             `json:"welcomeEmail,omitempty"`
	WithBuyerAgent       string            `json:"withBuyerAgent,omitempty"`
	WithListingAgent     string            `json:"withListingAgent,omitempty"`
	ZipCode              string            `json:"zipCode,omitempty"`
}

// Activity is a LeadActivityRes (LeadActivityReq in requests). It carries
// neither an id nor a leadId, exactly as documented.
type Activity struct {
	Created       int64          `json:"created"`
	Link          string         `json:"link"`
	Listing       map[string]any `json:"listing"`
	PageName      string         `json:"pageName"`
	Picture       string         `json:"picture"`
	ScheduledDate string         `json:"scheduledDate"`
	Text          string         `json:"text"`
	Type          string         `json:"type"`
}

// Call is a CallResponse.
type Call struct {
	AgentID            int64   `json:"agentId"`
	CallingOutcome     string  `json:"callingOutcome"`
	CreateTime         string  `json:"createTime"`
	DialerCallRecordID int64   `json:"dialerCallRecordId"`
	Direction          string  `json:"direction"`
	Duration           int32   `json:"duration"`
	ElapsedTime        string  `json:"elapsedTime"`
	EndTime            string  `json:"endTime"`
	ID                 int64   `json:"id"`
	IsMachineAnswered  bool    `json:"isMachineAnswered"`
	LeadID             int64   `json:"leadId"`
	LeadPhoneNumber    string  `json:"leadPhoneNumber"`
	Note               string  `json:"note"`
	Price              float64 `json:"price"`
	RateScore          int32   `json:"rateScore"`
	RecordingSwitch    bool    `json:"recordingSwitch"`
	ShowUserNumber     string  `json:"showUserNumber"`
	StartTime          string  `json:"startTime"`
	Status             string  `json:"status"`
	UpdateTime         string  `json:"updateTime"`
	UserID             int64   `json:"userId"`
	UserPhoneNumber    string  `json:"userPhoneNumber"`
}

// CallHistory is the element of GET /v1.0/communication/call/v2.
type CallHistory struct {
	AgentID         int64  `json:"agentId"`
	CreateTime      string `json:"createTime"`
	Direction       string `json:"direction"`
	ID              int64  `json:"id"`
	LeadID          int64  `json:"leadId"`
	LeadPhoneNumber string `json:"leadPhoneNumber"`
}

// Email is an EmailResponse.
type Email struct {
	AgentID        int64  `json:"agentId"`
	Direction      string `json:"direction"`
	EmailEventTime string `json:"emailEventTime"`
	EmailSubject   string `json:"emailSubject"`
	EmailType      string `json:"emailType"`
	EventType      string `json:"eventType"`
	FromPond       bool   `json:"fromPond"`
	ID             int64  `json:"id"`
	LeadID         int64  `json:"leadId"`
}

// Text is a TextResponse.
type Text struct {
	AgentID     int64  `json:"agentId"`
	Direction   string `json:"direction"`
	ID          int64  `json:"id"`
	LeadID      int64  `json:"leadId"`
	TextOutcome string `json:"textOutcome"`
	TextTime    string `json:"textTime"`
	TextType    string `json:"textType"`
}

// Note is a NoteResponse. ID is the timeline id, NoteID the note id used by
// GET /v1.0/notes/{noteId}.
type Note struct {
	Content        string `json:"content"`
	CreateTime     string `json:"createTime"`
	CreatorID      int64  `json:"creatorId"`
	CreatorName    string `json:"creatorName"`
	DeleteFlag     bool   `json:"deleteFlag"`
	ID             int64  `json:"id"`
	IsPin          bool   `json:"isPin"`
	LastEditorID   int64  `json:"lastEditorId"`
	LastEditorName string `json:"lastEditorName"`
	LastUpdate     string `json:"lastUpdate"`
	LeadID         int64  `json:"leadId"`
	NoteID         int64  `json:"noteId"`
	SystemNote     bool   `json:"systemNote"`
}

// LogType is a LogTypeResponse. The response has no logType field (as
// documented); Kind holds it for test accessors and is never serialized.
type LogType struct {
	AgentID           int64  `json:"agentId"`
	CallingOutcome    string `json:"callingOutcome"`
	CreateTime        string `json:"createTime"`
	ID                int64  `json:"id"`
	IsPin             bool   `json:"isPin"`
	LeadID            int64  `json:"leadId"`
	LeadPhoneNumber   string `json:"leadPhoneNumber"`
	OutboundOrInbound string `json:"outboundOrInbound"`
	Kind              string `json:"-"`
}

// Communication is a CommunicationResponse (POST /v1.0/agent/communication).
type Communication struct {
	AgentID           int64  `json:"agentId"`
	CallDuration      string `json:"callDuration"`
	CallOutcome       string `json:"callOutcome"`
	CommunicationTime string `json:"communicationTime"`
	CommunicationType string `json:"communicationType"`
	Direction         string `json:"direction"`
	EventType         string `json:"eventType"`
	FromPond          bool   `json:"fromPond"`
	ID                int64  `json:"id"`
	LeadID            int64  `json:"leadId"`
	Status            string `json:"status"`
}

// Member is a UserResponse (GET /v1.0/members, GET /v1.0/me).
type Member struct {
	AccountStatus     string `json:"accountStatus"`
	AssignedLeadCount int32  `json:"assignedLeadCount"`
	Email             string `json:"email"`
	FirstLetter       string `json:"firstLetter"`
	FirstName         string `json:"firstName"`
	GroupID           int64  `json:"groupId"`
	GroupName         string `json:"groupName"`
	ID                int64  `json:"id"`
	InvitorUserID     int64  `json:"invitorUserId"`
	IsAdmin           bool   `json:"isAdmin"`
	LastName          string `json:"lastName"`
	MemberUserID      int64  `json:"memberUserId"`
	NewLeadCount      int32  `json:"newLeadCount"`
	PhoneNumber       string `json:"phoneNumber"`
	Role              int32  `json:"role"`
	RoleName          string `json:"roleName"`
	Status            int32  `json:"status"`
	TimeZoneID        string `json:"timeZoneId"`
	VirtualNumber     string `json:"virtualNumber"`
}

// Stage is one of the team's user-defined pipeline stages.
type Stage struct {
	ID   int64
	Name string
}

// MetaData is the "_metadata" section of list responses.
type MetaData struct {
	Collection string `json:"collection"`
	Limit      int    `json:"limit"`
	Offset     int64  `json:"offset"`
	ScrollID   string `json:"scrollId,omitempty"`
	Total      int64  `json:"total"`
}

// Result is the Result«long» envelope used for write responses and errors.
type Result struct {
	Data      *int64       `json:"data"`
	ErrorCode int32        `json:"errorCode"`
	ErrorData []FieldError `json:"errorData"`
	ErrorMsg  *string      `json:"errorMsg"`
}

// FieldError names one rejected field in Result.errorData.
type FieldError struct {
	Field   string `json:"field"`
	Message string `json:"message"`
}
