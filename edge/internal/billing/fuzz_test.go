package billing

import (
	"testing"
)

// The webhook reads ids out of signed payloads; hostile or odd JSON must never panic, and a
// parsed subscription always has an id, a status, and a period end no earlier than ever unset.
func FuzzEventPayloads(f *testing.F) {
	for _, s := range []string{
		`{"id":"sub_1","customer":"cus_1","status":"active","current_period_end":1702592000,"items":{"data":[{"current_period_end":1,"price":{"id":"p"}}]}}`,
		`{"id":"sub_2","customer":{"id":"cus_2"},"status":"past_due","items":{"data":[{"current_period_start":-5,"current_period_end":99999999999,"price":{"id":"p"}}]}}`,
		`{"subscription":null,"parent":{"subscription_details":{"subscription":{"id":"sub_3"}}}}`,
		`{"mode":"subscription","customer":["x"],"subscription":7,"client_reference_id":"u"}`,
		`{"items":{"data":null}}`, `[]`, `null`, `"`, `{"id":1}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		_ = objectID(b)
		_ = invoiceSubscription(b)
		_, _ = parseCheckoutSession(b)
		s, err := ParseSubscription(b)
		if err != nil {
			return
		}
		if s.ID == "" || s.Status == "" {
			t.Fatalf("parsed without id/status: %+v", s)
		}
		if s.PeriodEnd != nil && s.PeriodEnd.Unix() <= 0 {
			t.Fatalf("non-positive period end: %v", s.PeriodEnd)
		}
	})
}
