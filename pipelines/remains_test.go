package pipelines

import "testing"

func TestRemainsSaysWhatIsLeftAndWhatToDo(t *testing.T) {
	for _, tc := range []struct {
		name string
		s    PushSummary
		want string
	}{
		{"all sent", PushSummary{Total: 3, Submitted: 2, SkippedDuplicate: 1}, "every row is sent or was sent before"},
		{"waiting only", PushSummary{Total: 2, Submitted: 1, Waiting: 1},
			"every row is sent or was sent before, except 1 waiting until the vendor accepts them: the next run tries again"},
		{"unknown and retry", PushSummary{Total: 5, Submitted: 2, Failed: 3, Unknown: 1, Retry: 1},
			"3 of 5 rows not sent: 1 refused by the vendor: fix the rows (reasons in the receipts); a changed row is sent again; " +
				"1 with an unknown outcome: rerun; the next run asks the vendor before resending; 1 not sent (rate limited or stopped): rerun to send them"},
		{"needs a human", PushSummary{Total: 1, NeedsHuman: 1},
			"1 of 1 rows not sent: 1 need a human: check each at the vendor, then `leadpipe ledger resolve --pipeline p KEY --vendor-id ID` if it arrived, or `leadpipe ledger forget --pipeline p KEY` if not"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.s.Remains("p"); got != tc.want {
				t.Errorf("Remains:\n got %s\nwant %s", got, tc.want)
			}
		})
	}
}
