package billing

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/octanebridge/octane-bridge/internal/apierror"
	"github.com/octanebridge/octane-bridge/internal/testenv"
)

// Tests against stripe-mock: it answers every GET with a fixture whose id echoes the URL, in
// the latest API version (period on the items), and keeps no state.

type countingDirectory struct {
	calls atomic.Int64
	email string
}

func (d *countingDirectory) Email(context.Context, uuid.UUID) (string, error) {
	d.calls.Add(1)
	return d.email, nil
}

func newMockService(t *testing.T) (*Service, http.Handler, *pgxpool.Pool, *countingDirectory) {
	t.Helper()
	base := testenv.StripeBase(t)
	pool := testPool(t)
	dir := &countingDirectory{email: "free@octane.local"}
	s, err := New(Deps{
		DB: pool, Stripe: NewStripeClient("sk_test_123", base, nil, testLogger(t)), Users: dir, Log: testLogger(t),
		Config: Config{WebhookSecret: testSecret, SiteURL: "http://127.0.0.1:3000/", Products: []string{libraryProduct}},
	})
	if err != nil {
		t.Fatal(err)
	}
	return s, testEcho(s, nil), pool, dir
}

// mockSubscription is the subscription stripe-mock returns for any id (its fixture).
func mockSubscription(t *testing.T, s *Service) Subscription {
	t.Helper()
	sub, err := s.src.Subscription(context.Background(), "sub_probe")
	if err != nil {
		t.Fatal(err)
	}
	return sub
}

func TestWebhookRefetchesSubscriptionFromStripe(t *testing.T) {
	t.Parallel()
	s, h, pool, _ := newMockService(t)
	ctx := context.Background()
	probe := mockSubscription(t, s)
	if probe.CustomerID == "" || probe.PriceID == "" || probe.PeriodEnd == nil {
		t.Fatalf("stripe-mock subscription = %+v, want customer, price and an item period", probe)
	}
	linkTestCustomer(t, pool, freeUser, probe.CustomerID)

	// The event claims the subscription was cancelled; Stripe says otherwise.
	stale := eventJSON("evt_mock_1", "customer.subscription.updated", map[string]any{
		"id": "sub_mock_1", "object": "subscription", "customer": probe.CustomerID, "status": "canceled",
	})
	if r := deliver(h, stale); r.Status != 200 {
		t.Fatalf("= %d %s", r.Status, r.Body)
	}
	var status, price string
	var end time.Time
	if err := pool.QueryRow(ctx, `select status, price_id, current_period_end from public.subscriptions where id = 'sub_mock_1' and user_id = $1`, freeUser).
		Scan(&status, &price, &end); err != nil {
		t.Fatal(err)
	}
	if status != probe.Status || price != probe.PriceID || !end.Equal(*probe.PeriodEnd) {
		t.Fatalf("row = %s %s %v, want Stripe's %s %s %v (period from the first item)", status, price, end, probe.Status, probe.PriceID, *probe.PeriodEnd)
	}
	// The unknown price and its product were fetched so the row could refer to them.
	if n := scalar[int](t, pool, `select count(*) from public.prices p join public.products pr on pr.id = p.product_id where p.id = $1`, probe.PriceID); n != 1 {
		t.Fatal("price/product not fetched")
	}

	// invoice.paid in the newer shape (subscription under parent.subscription_details).
	inv := eventJSON("evt_mock_2", "invoice.paid", map[string]any{
		"id": "in_1", "object": "invoice",
		"parent": map[string]any{"subscription_details": map[string]any{"subscription": "sub_mock_2"}},
	})
	if r := deliver(h, inv); r.Status != 200 {
		t.Fatalf("invoice.paid = %d %s", r.Status, r.Body)
	}
	if n := scalar[int](t, pool, `select count(*) from public.subscriptions where id = 'sub_mock_2'`); n != 1 {
		t.Fatal("invoice.paid did not sync its subscription")
	}
}

func TestCheckoutCreatesOneCustomerAndReturnsTheSessionURL(t *testing.T) {
	t.Parallel()
	_, h, pool, dir := newMockService(t)
	post := func(path, user, body string) reply {
		req := httptest.NewRequest(http.MethodPost, path, strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		if user != "" {
			req.Header.Set("X-Test-User", user)
		}
		return do(h, req)
	}
	for range 2 {
		r := post("/v1/billing/checkout", freeUser.String(), `{"price_id":"price_pro_monthly"}`)
		if r.Status != 200 || !strings.Contains(r.Body, `"url":"https://checkout.stripe.com/`) {
			t.Fatalf("checkout = %d %s", r.Status, r.Body)
		}
	}
	if n := dir.calls.Load(); n != 1 {
		t.Errorf("e-mail looked up %d times, want 1 (the customer is reused)", n)
	}
	cus := scalar[string](t, pool, `select stripe_customer_id from public.customers where user_id = $1`, freeUser)
	if !strings.HasPrefix(cus, "cus_") {
		t.Errorf("customer id = %q", cus)
	}
	if _, err := pool.Exec(context.Background(), `insert into public.prices (id, product_id, currency, unit_amount) values ('price_once', 'prod_octane_pro', 'usd', 500)`); err != nil {
		t.Fatal(err)
	}
	// A third user whose subscription is past due fixes it in the portal, not with a second one.
	pastDue := uuid.New()
	if _, err := pool.Exec(context.Background(), `
		insert into auth.users (id, aud, role, email) values ($1, 'authenticated', 'authenticated', 'late@octane.local');
		`, pastDue); err != nil {
		t.Fatal(err)
	}
	if _, err := pool.Exec(context.Background(), `insert into public.subscriptions (id, user_id, status, price_id) values ('sub_late', $1, 'past_due', 'price_pro_monthly')`, pastDue); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name, user, body string
		status           int
		code             string
	}{
		{"subscriber", proUser.String(), `{"price_id":"price_pro_monthly"}`, 409, string(apierror.Conflict)},
		{"past due", pastDue.String(), `{"price_id":"price_pro_monthly"}`, 409, string(apierror.Conflict)},
		{"unknown price", freeUser.String(), `{"price_id":"price_nope"}`, 400, string(apierror.InvalidInput)},
		{"one-time price", freeUser.String(), `{"price_id":"price_once"}`, 400, string(apierror.InvalidInput)},
		{"no price", freeUser.String(), `{}`, 400, string(apierror.MissingRequiredField)},
		{"not JSON", freeUser.String(), `price_id=x`, 400, string(apierror.InvalidInput)},
		{"signed out", "", `{"price_id":"price_pro_monthly"}`, 401, string(apierror.AuthRequired)},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := post("/v1/billing/checkout", c.user, c.body)
			if r.Status != c.status || r.code() != c.code {
				t.Fatalf("= %d %s, want %d %s", r.Status, r.Body, c.status, c.code)
			}
		})
	}
}

func TestPortalForCustomersOnly(t *testing.T) {
	t.Parallel()
	_, h, _, _ := newMockService(t)
	req := func(user string) reply {
		r := httptest.NewRequest(http.MethodPost, "/v1/billing/portal", nil)
		r.Header.Set("X-Test-User", user)
		return do(h, r)
	}
	if r := req(proUser.String()); r.Status != 200 || !strings.Contains(r.Body, `"url":"https://`) {
		t.Fatalf("pro portal = %d %s", r.Status, r.Body)
	}
	if r := req(freeUser.String()); r.Status != 404 || r.code() != string(apierror.NotFound) {
		t.Fatalf("free portal = %d %s, want 404 NOT_FOUND", r.Status, r.Body)
	}
}

func TestBackfillCopiesStripeObjects(t *testing.T) {
	t.Parallel()
	s, _, pool, _ := newMockService(t)
	ctx := context.Background()
	rep, err := s.Backfill(ctx, StripeSource{API: s.stripe})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Products < 1 || rep.Prices < 1 || rep.Subscriptions != 0 || rep.Skipped < 1 {
		t.Fatalf("report = %+v, want products and prices, the unknown customer's subscription skipped", rep)
	}
	probe, err := s.src.Subscription(ctx, "sub_probe")
	if err != nil {
		t.Fatal(err)
	}
	linkTestCustomer(t, pool, freeUser, probe.CustomerID)
	rep, err = s.Backfill(ctx, StripeSource{API: s.stripe})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Subscriptions < 1 {
		t.Fatalf("report = %+v, want the linked customer's subscription", rep)
	}
	if n := scalar[int](t, pool, `select count(*) from public.subscriptions where user_id = $1`, freeUser); n < 1 {
		t.Fatal("no subscription stored for the linked customer")
	}
}

func TestRunStripeSyncPrintsTheReport(t *testing.T) {
	t.Parallel()
	base := testenv.StripeBase(t)
	db := testenv.DB(t)
	cmd := CommandConfig{DatabaseURL: db, SecretKey: "sk_test_123", APIBase: base, Products: []string{libraryProduct}}
	var out strings.Builder
	if err := RunStripeSync(context.Background(), cmd, &out, testLogger(t)); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), `"products":`) {
		t.Fatalf("output = %q", out.String())
	}
	if err := RunStripeSync(context.Background(), CommandConfig{}, &out, nil); err == nil {
		t.Fatal("ran without configuration")
	}
}

func TestCreateWebhookEndpointPinsTheAPIVersion(t *testing.T) {
	t.Parallel()
	base := testenv.StripeBase(t)
	var out strings.Builder
	cmd := CommandConfig{SecretKey: "sk_test_123", APIBase: base}
	// stripe-mock validates the parameters (event names included) against Stripe's OpenAPI spec.
	if err := RunStripeWebhookSetup(context.Background(), []string{"https://edge.example.com/v1/stripe/webhook"}, cmd, &out, nil); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), `"api_version":"2023-10-16"`) || !strings.Contains(out.String(), `"id":"we_`) {
		t.Fatalf("output = %s", out.String())
	}
	for _, bad := range []string{"http://edge.example.com/hook", "not a url", ""} {
		if err := RunStripeWebhookSetup(context.Background(), []string{bad}, cmd, &out, nil); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}
