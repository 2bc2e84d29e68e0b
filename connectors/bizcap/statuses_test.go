package bizcap_test

import (
	"testing"

	"github.com/leadpipe/leadpipe/connectors/bizcap"
	"github.com/leadpipe/leadpipe/schema"
)

// TestStatusesWrittenAnotherWayMapTheSame checks that case, separators and
// spelling do not change what a status means.
func TestStatusesWrittenAnotherWayMapTheSame(t *testing.T) {
	for _, tc := range []struct{ status, sub, want string }{
		{"WITHDRAWN", "no reason provided", schema.StatusLost},
		{"contract_draft", "Contract Draft - Pending Info", schema.StatusApproved},
		{"Declined", "customer declined", schema.StatusLost},
		{"not progressing", "Got Another Loan Facility", schema.StatusLost},
	} {
		got := bizcap.DealStatus(tc.status, tc.sub)
		if tc.status == "not progressing" {
			got = bizcap.LeadStatus(tc.status, tc.sub)
		}
		if got != tc.want {
			t.Errorf("%s / %s = %s, want %s", tc.status, tc.sub, got, tc.want)
		}
	}
}
