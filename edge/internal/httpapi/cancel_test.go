package httpapi

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/stripe/stripe-go/v76/webhook"

	"github.com/octanebridge/octane-bridge/edge/internal/billing"
)

// canceledStripe is Stripe after the demo subscription was canceled: what billing re-fetches.
type canceledStripe struct{}

func (canceledStripe) Subscription(_ context.Context, id string) (billing.Subscription, error) {
	now := time.Now().UTC().Truncate(time.Second)
	start, end := now.Add(-72*time.Hour), now.Add(24*time.Hour)
	return billing.Subscription{ID: id, CustomerID: "cus_demo_pro", UserID: proUser.String(), Status: "canceled",
		PriceID: "price_pro_monthly", PeriodStart: &start, PeriodEnd: &end, CanceledAt: &now}, nil
}

func (canceledStripe) Price(_ context.Context, id string) (billing.Price, error) {
	return billing.Price{}, billing.ErrNotFound
}

func (canceledStripe) Product(_ context.Context, id string) (billing.Product, error) {
	return billing.Product{}, billing.ErrNotFound
}

// The whole path of a lapse: a token is minted, Stripe then sends a signed
// customer.subscription.deleted to the edge's webhook route, and the redemption is refused with
// SUBSCRIPTION_REQUIRED (the import fails with that code) rather than delivering the package.
func TestWebhookCancellationBetweenMintAndRedeem(t *testing.T) {
	const secret = "whsec_test_cancellation"
	en := newEnv(t, func(d *Deps) {
		b, err := billing.New(billing.Deps{DB: d.DB, Source: canceledStripe{}, Config: billing.Config{WebhookSecret: secret, SiteURL: siteURL, Products: []string{"prod_octane_pro"}}})
		if err != nil {
			t.Fatal(err)
		}
		d.Webhook = b.Webhook()
	})
	dev := en.device(proUser, "blender", nil)
	id, _, tok := en.createImport(proUser, map[string]any{"shader_id": en.shader.String(), "device_id": dev.String()})

	payload, _ := json.Marshal(map[string]any{
		"id": "evt_cancel_between", "object": "event", "api_version": "2023-10-16", "created": time.Now().Unix(),
		"type": "customer.subscription.deleted", "livemode": false, "pending_webhooks": 1,
		"data": map[string]any{"object": map[string]any{"id": "sub_demo_pro", "object": "subscription", "customer": "cus_demo_pro", "status": "canceled"}},
	})
	signed := webhook.GenerateTestSignedPayload(&webhook.UnsignedPayload{Payload: payload, Secret: secret, Timestamp: time.Now()})
	req := httptest.NewRequest(http.MethodPost, "/v1/stripe/webhook", strings.NewReader(string(payload)))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Stripe-Signature", signed.Header)
	rec := httptest.NewRecorder()
	en.e.ServeHTTP(rec, req)
	if rec.Code != http.StatusOK {
		t.Fatalf("webhook: %d %s", rec.Code, rec.Body)
	}

	r := en.do(http.MethodPost, "/v1/imports/"+id.String()+"/redeem", en.deviceJWT(proUser, dev), map[string]string{"token": tok})
	if got := r.errCode(t); got != "SUBSCRIPTION_REQUIRED" || r.Code != http.StatusPaymentRequired {
		t.Fatalf("redeem after the cancellation: %d %s", r.Code, r.Body)
	}
	if strings.Contains(string(r.Body), "X-Amz") {
		t.Fatal("a download URL was handed out")
	}
	m := en.do(http.MethodGet, "/v1/imports/"+id.String(), en.session(proUser), nil).json(t)
	if m["status"] != "failed" || m["error_code"] != "SUBSCRIPTION_REQUIRED" {
		t.Fatalf("import after the refused redemption: %v", m)
	}
}
