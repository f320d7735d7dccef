package billing

import (
	"encoding/json"
	"fmt"
)

// Only ids are read from event payloads; everything else is re-fetched.

func objectID(obj []byte) string {
	var o struct {
		ID string `json:"id"`
	}
	_ = json.Unmarshal(obj, &o)
	return o.ID
}

type checkoutSession struct {
	Mode              string
	Customer          string
	Subscription      string
	ClientReferenceID string
}

func parseCheckoutSession(obj []byte) (checkoutSession, error) {
	var r struct {
		Mode              string          `json:"mode"`
		Customer          json.RawMessage `json:"customer"`
		Subscription      json.RawMessage `json:"subscription"`
		ClientReferenceID string          `json:"client_reference_id"`
	}
	if err := json.Unmarshal(obj, &r); err != nil {
		return checkoutSession{}, fmt.Errorf("decode checkout session: %w", err)
	}
	return checkoutSession{Mode: r.Mode, Customer: idOf(r.Customer), Subscription: idOf(r.Subscription), ClientReferenceID: r.ClientReferenceID}, nil
}

// invoiceSubscription reads the invoice's subscription id: top-level on API 2023-10-16,
// under parent.subscription_details on versions from 2025-03-31.
func invoiceSubscription(obj []byte) string {
	var r struct {
		Subscription json.RawMessage `json:"subscription"`
		Parent       struct {
			SubscriptionDetails struct {
				Subscription json.RawMessage `json:"subscription"`
			} `json:"subscription_details"`
		} `json:"parent"`
	}
	if json.Unmarshal(obj, &r) != nil {
		return ""
	}
	if id := idOf(r.Subscription); id != "" {
		return id
	}
	return idOf(r.Parent.SubscriptionDetails.Subscription)
}
