package billing

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/google/uuid"

	"github.com/octanebridge/octane-bridge/internal/apierror"
	"github.com/octanebridge/octane-bridge/internal/testenv"
)

// proShader is a seeded published shader that is not free.
var proShader = uuid.MustParse("a0000000-0000-4000-8000-000000000002")

// A second product on the Stripe account (stripe-mock's own "T-shirt", which every subscription
// and price it returns sells) must not unlock the library, and checkout must not sell it.
func TestOnlyTheLibrarysProductsEntitle(t *testing.T) {
	t.Parallel()
	s, h, pool, _ := newMockService(t)
	ctx := context.Background()
	probe := mockSubscription(t, s)
	if len(probe.Items) == 0 || probe.Items[0].ProductID == "" || probe.Items[0].ProductID == libraryProduct {
		t.Fatalf("stripe-mock subscription items = %+v, want another product", probe.Items)
	}
	other := probe.Items[0].ProductID
	if err := s.MarkLibraryProducts(ctx); err != nil {
		t.Fatal(err)
	}
	linkTestCustomer(t, pool, freeUser, probe.CustomerID)

	// The free user subscribes to the other product; Stripe says it is active.
	if r := deliver(h, eventJSON("evt_other_1", "customer.subscription.created", map[string]any{
		"id": "sub_other", "object": "subscription", "customer": probe.CustomerID, "status": "active",
	})); r.Status != 200 {
		t.Fatalf("webhook = %d %s", r.Status, r.Body)
	}
	if got := scalar[string](t, pool, `select status from public.subscriptions where id = 'sub_other'`); got != "active" {
		t.Fatalf("subscription status = %q, want it stored as active", got)
	}
	// stripe-mock's fixture periods ended long ago: move this one into the present, so that only
	// the product decides below.
	if _, err := pool.Exec(ctx, `update public.subscriptions set current_period_end = now() + interval '30 days' where id = 'sub_other'`); err != nil {
		t.Fatal(err)
	}
	if scalar[bool](t, pool, `select entitles from public.products where id = $1`, other) {
		t.Fatal("the other product was stored as one of the library's")
	}
	entitled := func() bool {
		return scalar[bool](t, pool, `select public.has_entitlement($1, $2)`, freeUser, proShader)
	}
	if entitled() {
		t.Fatal("a subscription to another product unlocks the library")
	}
	if !scalar[bool](t, pool, `select public.has_entitlement($1, $2)`, proUser, proShader) {
		t.Fatal("the library subscription no longer entitles")
	}

	post := func(user uuid.UUID, body string) reply {
		req := httptest.NewRequest(http.MethodPost, "/v1/billing/checkout", strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("X-Test-User", user.String())
		return do(h, req)
	}
	// Checkout refuses the other product's recurring price (now mirrored in prices) ...
	otherPrice := scalar[string](t, pool, `select price_id from public.subscriptions where id = 'sub_other'`)
	if !scalar[bool](t, pool, `select interval is not null and active from public.prices where id = $1`, otherPrice) {
		t.Fatalf("price %s is not an active recurring price; the test proves nothing", otherPrice)
	}
	if r := post(freeUser, `{"price_id":"`+otherPrice+`"}`); r.Status != 400 || r.code() != string(apierror.InvalidInput) {
		t.Fatalf("checkout of another product's price = %d %s, want 400 INVALID_INPUT", r.Status, r.Body)
	}
	// ... and the other subscription does not count as "already subscribed" to the library.
	if r := post(freeUser, `{"price_id":"price_pro_monthly"}`); r.Status != 200 {
		t.Fatalf("checkout of the library price = %d %s, want 200", r.Status, r.Body)
	}

	// Configuring the other product makes it the library's: the flag follows the configuration.
	both, err := New(Deps{DB: pool, Stripe: s.stripe, Log: testLogger(t),
		Config: Config{WebhookSecret: testSecret, Products: []string{libraryProduct, other}}})
	if err != nil {
		t.Fatal(err)
	}
	if err := both.MarkLibraryProducts(ctx); err != nil {
		t.Fatal(err)
	}
	if !entitled() {
		t.Fatal("a configured product does not entitle")
	}
	if err := s.MarkLibraryProducts(ctx); err != nil {
		t.Fatal(err)
	}
	if entitled() {
		t.Fatal("a product removed from the configuration still entitles")
	}
}

// A subscription with several items records the library's item, whichever comes first.
func TestSubscriptionRecordsTheLibrarysItem(t *testing.T) {
	t.Parallel()
	sub, err := ParseSubscription([]byte(`{"id":"sub_1","status":"active","customer":"cus_1","items":{"data":[
		{"price":{"id":"price_shirt","product":"prod_shirt"}},
		{"price":{"id":"price_lib","product":{"id":"prod_lib"}}}]}}`))
	if err != nil {
		t.Fatal(err)
	}
	if sub.PriceID != "price_shirt" || len(sub.Items) != 2 || sub.Items[1].ProductID != "prod_lib" {
		t.Fatalf("parsed = %+v", sub)
	}
	s := &Service{ours: map[string]bool{"prod_lib": true}}
	if got := s.libraryPrice(sub); got != "price_lib" {
		t.Fatalf("libraryPrice = %q, want price_lib", got)
	}
	s.ours = map[string]bool{"prod_other": true}
	if got := s.libraryPrice(sub); got != "price_shirt" {
		t.Fatalf("libraryPrice without a library item = %q, want the first item's", got)
	}
}

func TestNewRequiresTheLibrarysProducts(t *testing.T) {
	t.Parallel()
	pool := testPool(t)
	if _, err := New(Deps{DB: pool, Source: newFake(), Config: Config{WebhookSecret: testSecret}}); err == nil || !strings.Contains(err.Error(), "STRIPE_PRODUCT_IDS") {
		t.Fatalf("New without products: %v", err)
	}
	cmd := CommandConfig{DatabaseURL: testenv.DB(t), SecretKey: "sk_test_123"}
	if err := RunStripeSync(context.Background(), cmd, &strings.Builder{}, nil); err == nil || !strings.Contains(err.Error(), "STRIPE_PRODUCT_IDS") {
		t.Fatalf("stripe-sync without products: %v", err)
	}
}
