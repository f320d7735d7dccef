package billing

import (
	"github.com/octanebridge/octane-bridge/internal/apierror"

	"bytes"
	"context"
	"fmt"
	"github.com/jackc/pgx/v5/pgxpool"
	"math/rand/v2"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
)

func newWebhookService(t testing.TB, src Source) (*Service, http.Handler, *pgxpool.Pool) {
	t.Helper()
	pool := testPool(t)
	s, err := New(Deps{DB: pool, Source: src, Log: testLogger(t), Config: Config{WebhookSecret: testSecret, MaxBody: 64 << 10, Products: []string{libraryProduct}}})
	if err != nil {
		t.Fatal(err)
	}
	return s, testEcho(s, nil), pool
}

// newLinkedWebhook is newWebhookService over an empty fake Stripe, with the free user linked to
// the Stripe customer.
func newLinkedWebhook(t testing.TB, customer string) (*fakeStripe, http.Handler, *pgxpool.Pool) {
	t.Helper()
	fake, h, pool := newFakeWebhook(t)
	linkTestCustomer(t, pool, freeUser, customer)
	return fake, h, pool
}

// newFakeWebhook is newWebhookService over an empty fake Stripe, which the test fills.
func newFakeWebhook(t testing.TB) (*fakeStripe, http.Handler, *pgxpool.Pool) {
	t.Helper()
	fake := newFake()
	_, h, pool := newWebhookService(t, fake)
	return fake, h, pool
}

func TestWebhookRefusesWhatStripeDidNotSign(t *testing.T) {
	t.Parallel()
	fake, h, pool := newFakeWebhook(t)
	payload := eventJSON("evt_sig", "product.created", map[string]any{"id": "prod_x", "object": "product"})
	oversized := eventJSON("evt_big", "product.created", map[string]any{"id": "prod_x", "object": "product", "description": strings.Repeat("x", 64<<10)})
	cases := map[string]func() *http.Request{
		"wrong secret": func() *http.Request { return signedRequest(payload, "whsec_other", time.Now()) },
		"no signature": func() *http.Request {
			r := signedRequest(payload, testSecret, time.Now())
			r.Header.Del("Stripe-Signature")
			return r
		},
		"garbage header": func() *http.Request {
			r := signedRequest(payload, testSecret, time.Now())
			r.Header.Set("Stripe-Signature", "t=1,v1=zz")
			return r
		},
		"stale timestamp": func() *http.Request { return signedRequest(payload, testSecret, time.Now().Add(-6*time.Minute)) },
		"oversized body":  func() *http.Request { return signedRequest(oversized, testSecret, time.Now()) },
		"body changed after signing": func() *http.Request {
			r := signedRequest(payload, testSecret, time.Now())
			changed := bytes.Replace(payload, []byte("prod_x"), []byte("prod_y"), 1)
			r2 := signedRequest(changed, testSecret, time.Now())
			r2.Header.Set("Stripe-Signature", r.Header.Get("Stripe-Signature"))
			return r2
		},
		"re-serialized JSON": func() *http.Request {
			r := signedRequest(payload, testSecret, time.Now())
			r2 := signedRequest(append([]byte(" "), payload...), testSecret, time.Now())
			r2.Header.Set("Stripe-Signature", r.Header.Get("Stripe-Signature"))
			return r2
		},
	}
	for name, mk := range cases {
		t.Run(name, func(t *testing.T) {
			r := do(h, mk())
			if r.Status != http.StatusBadRequest || r.code() != string(apierror.InvalidInput) {
				t.Fatalf("= %d %s, want 400 INVALID_INPUT", r.Status, r.Body)
			}
			if strings.Contains(r.Body, "whsec") || strings.Contains(r.Body, "v1=") {
				t.Fatalf("body leaks signature details: %s", r.Body)
			}
		})
	}
	if n := scalar[int](t, pool, `select count(*) from public.stripe_events`); n != 0 {
		t.Fatalf("%d events recorded from unsigned requests", n)
	}
	// The same payload, correctly signed, is accepted.
	fake.products["prod_x"] = Product{ID: "prod_x", Active: true, Name: "X"}
	if r := deliver(h, payload); r.Status != http.StatusOK {
		t.Fatalf("signed event = %d %s", r.Status, r.Body)
	}
}

func TestWebhookAppliesTheSameEventOnce(t *testing.T) {
	t.Parallel()
	fake, h, pool := newLinkedWebhook(t, "cus_free")
	end := time.Now().Add(30 * 24 * time.Hour)
	fake.setSub(Subscription{ID: "sub_once", CustomerID: "cus_free", Status: "active", PriceID: "price_pro_monthly", PeriodEnd: ts(end)})
	payload := eventJSON("evt_once", "customer.subscription.created", subObject(Subscription{ID: "sub_once", CustomerID: "cus_free", Status: "incomplete"}))

	first := deliver(h, payload)
	second := deliver(h, payload)
	if first.Status != 200 || second.Status != 200 {
		t.Fatalf("deliveries = %d %s / %d %s, want 200 both", first.Status, first.Body, second.Status, second.Body)
	}
	if !strings.Contains(second.Body, `"duplicate":true`) || strings.Contains(first.Body, `"duplicate":true`) {
		t.Fatalf("first %s second %s: only the second is a duplicate", first.Body, second.Body)
	}
	// Concurrent redeliveries of one new event: exactly one applies it.
	payload2 := eventJSON("evt_once_2", "customer.subscription.updated", subObject(Subscription{ID: "sub_once", CustomerID: "cus_free", Status: "active"}))
	var wg sync.WaitGroup
	replies := make(chan reply, 8)
	for range 8 {
		wg.Add(1)
		go func() { defer wg.Done(); replies <- deliver(h, payload2) }()
	}
	wg.Wait()
	close(replies)
	dups := 0
	for r := range replies {
		if r.Status != 200 {
			t.Fatalf("concurrent delivery = %d %s", r.Status, r.Body)
		}
		if strings.Contains(r.Body, `"duplicate":true`) {
			dups++
		}
	}
	if dups != 7 {
		t.Errorf("%d of 8 concurrent deliveries were duplicates, want 7", dups)
	}
	if got := fake.fetches.Load(); got != 2 {
		t.Errorf("Stripe was asked %d times, want 2 (one per distinct event)", got)
	}
	if n := scalar[int](t, pool, `select count(*) from public.stripe_events where id like 'evt_once%'`); n != 2 {
		t.Errorf("stripe_events has %d rows, want 2", n)
	}
	status := scalar[string](t, pool, `select status from public.subscriptions where id = 'sub_once' and user_id = $1`, freeUser)
	if status != "active" {
		t.Errorf("status = %s, want active (Stripe's state, not the event's 'incomplete')", status)
	}
	if !scalar[bool](t, pool, `select public.has_active_subscription($1)`, freeUser) {
		t.Error("the subscriber is not entitled")
	}
}

// Stripe does not order deliveries and repeats them. However they arrive, the row must end at
// Stripe's last state — the state a re-fetch returns, not the state inside the last event.
func TestWebhookShuffledDuplicatedEventsEndAtStripeState(t *testing.T) {
	t.Parallel()
	fake, h, pool := newLinkedWebhook(t, "cus_order")
	rng := rand.New(rand.NewPCG(7, 11))
	statuses := []string{"incomplete", "active", "past_due", "active", "unpaid", "active", "canceled", "trialing", "paused"}
	types := []string{"customer.subscription.updated", "invoice.paid", "invoice.payment_failed", "customer.subscription.created", "customer.subscription.deleted", "customer.subscription.paused", "customer.subscription.resumed"}
	base := time.Now().Truncate(time.Second)

	// Stripe's history: 140 state changes, each announced by one event carrying a snapshot.
	type gen struct {
		payload []byte
		state   Subscription
	}
	var history []gen
	for i := range 140 {
		st := Subscription{
			ID: "sub_order", CustomerID: "cus_order", Status: statuses[rng.IntN(len(statuses))],
			PriceID: []string{"price_pro_monthly", "price_pro_yearly"}[rng.IntN(2)], CancelAtPeriodEnd: rng.IntN(2) == 0,
			PeriodStart: ts(base.Add(time.Duration(i) * time.Hour)), PeriodEnd: ts(base.Add(time.Duration(i+720) * time.Hour)),
		}
		typ := types[rng.IntN(len(types))]
		obj := subObject(st)
		if strings.HasPrefix(typ, "invoice.") {
			obj = map[string]any{"id": fmt.Sprintf("in_%d", i), "object": "invoice", "subscription": "sub_order"}
		}
		history = append(history, gen{eventJSON(fmt.Sprintf("evt_order_%03d", i), typ, obj), st})
	}
	final := history[len(history)-1].state
	final.Status = "past_due" // make the last snapshot differ from what any payload could win with by accident
	fake.setSub(final)

	// 200 deliveries: every event once plus 60 duplicates (30 %), shuffled.
	deliveries := make([][]byte, 0, 200)
	for _, g := range history {
		deliveries = append(deliveries, g.payload)
	}
	for range 60 {
		deliveries = append(deliveries, history[rng.IntN(len(history))].payload)
	}
	rng.Shuffle(len(deliveries), func(i, j int) { deliveries[i], deliveries[j] = deliveries[j], deliveries[i] })

	// Half of them arrive, then Stripe's state moves on once more, then the rest arrive late.
	send := func(batch [][]byte) {
		var wg sync.WaitGroup
		work := make(chan []byte)
		for range 4 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for p := range work {
					if r := deliver(h, p); r.Status != 200 {
						t.Errorf("delivery = %d %s", r.Status, r.Body)
					}
				}
			}()
		}
		for _, p := range batch {
			work <- p
		}
		close(work)
		wg.Wait()
	}
	send(deliveries[:100])
	later := final
	later.Status, later.CancelAtPeriodEnd, later.PriceID = "active", true, "price_pro_yearly"
	later.PeriodEnd = ts(base.Add(9999 * time.Hour))
	fake.setSub(later)
	send(deliveries[100:])

	var got Subscription
	var user string
	err := pool.QueryRow(context.Background(), `select user_id::text, status, price_id, cancel_at_period_end, current_period_start, current_period_end
		from public.subscriptions where id = 'sub_order'`).Scan(&user, &got.Status, &got.PriceID, &got.CancelAtPeriodEnd, &got.PeriodStart, &got.PeriodEnd)
	if err != nil {
		t.Fatal(err)
	}
	if user != freeUser.String() || got.Status != later.Status || got.PriceID != later.PriceID || got.CancelAtPeriodEnd != later.CancelAtPeriodEnd ||
		!got.PeriodStart.Equal(*later.PeriodStart) || !got.PeriodEnd.Equal(*later.PeriodEnd) {
		t.Fatalf("row = %+v (user %s), want Stripe's last state %+v", got, user, later)
	}
	if n := scalar[int](t, pool, `select count(*) from public.stripe_events where id like 'evt_order_%'`); n != len(history) {
		t.Errorf("stripe_events = %d, want %d distinct events", n, len(history))
	}
	if f := fake.fetches.Load(); f != int64(len(history)) {
		t.Errorf("re-fetched %d times, want %d (duplicates must not re-apply)", f, len(history))
	}
}

func TestWebhookAnswers2xxForTypesItDoesNotHandle(t *testing.T) {
	t.Parallel()
	_, h, pool := newWebhookService(t, newFake())
	r := deliver(h, eventJSON("evt_charge", "charge.succeeded", map[string]any{"id": "ch_1", "object": "charge"}))
	if r.Status != 200 || !strings.Contains(r.Body, `"handled":false`) {
		t.Fatalf("= %d %s, want 200 handled:false", r.Status, r.Body)
	}
	if n := scalar[int](t, pool, `select count(*) from public.stripe_events where id = 'evt_charge'`); n != 1 {
		t.Fatal("unhandled event not recorded")
	}
}

func TestWebhookSyncsProductsAndPrices(t *testing.T) {
	t.Parallel()
	fake, h, pool := newFakeWebhook(t)
	fake.products["prod_new"] = Product{ID: "prod_new", Active: true, Name: "Studio", Description: "For teams", Metadata: map[string]string{"tier": "studio"}}
	amount := int64(4900)
	fake.prices["price_new"] = Price{ID: "price_new", ProductID: "prod_new", Active: true, Currency: "eur", UnitAmount: &amount, Interval: "month", IntervalCount: 1, LookupKey: "pro_monthly"}

	// The price event arrives before its product's: the product is fetched first.
	if r := deliver(h, eventJSON("evt_price_new", "price.created", map[string]any{"id": "price_new", "object": "price"})); r.Status != 200 {
		t.Fatalf("price.created = %d %s", r.Status, r.Body)
	}
	if name := scalar[string](t, pool, `select name from public.products where id = 'prod_new'`); name != "Studio" {
		t.Fatalf("product name = %q", name)
	}
	var cur string
	var ua int64
	if err := pool.QueryRow(context.Background(), `select currency, unit_amount from public.prices where id = 'price_new'`).Scan(&cur, &ua); err != nil || cur != "eur" || ua != 4900 {
		t.Fatalf("price row = %s %d (%v)", cur, ua, err)
	}
	// The lookup key moved from the seeded monthly price to the new one.
	if n := scalar[int](t, pool, `select count(*) from public.prices where lookup_key = 'pro_monthly' and id = 'price_new'`); n != 1 {
		t.Fatal("lookup key was not transferred")
	}
	if r := deliver(h, eventJSON("evt_price_del", "price.deleted", map[string]any{"id": "price_new", "object": "price"})); r.Status != 200 {
		t.Fatalf("price.deleted = %d %s", r.Status, r.Body)
	}
	if scalar[bool](t, pool, `select active from public.prices where id = 'price_new'`) {
		t.Fatal("deleted price still active")
	}
	fake.products["prod_new"] = Product{ID: "prod_new", Active: true, Name: "Studio 2"}
	deliver(h, eventJSON("evt_prod_upd", "product.updated", map[string]any{"id": "prod_new", "object": "product", "name": "stale name"}))
	if name := scalar[string](t, pool, `select name from public.products where id = 'prod_new'`); name != "Studio 2" {
		t.Fatalf("product name = %q, want Stripe's current name", name)
	}
	deliver(h, eventJSON("evt_prod_del", "product.deleted", map[string]any{"id": "prod_new", "object": "product"}))
	if scalar[bool](t, pool, `select active from public.products where id = 'prod_new'`) {
		t.Fatal("deleted product still active")
	}
}

func TestCheckoutCompletedLinksTheUserAndSyncs(t *testing.T) {
	t.Parallel()
	fake, h, pool := newFakeWebhook(t)
	fake.setSub(Subscription{ID: "sub_co", CustomerID: "cus_co", Status: "active", PriceID: "price_pro_yearly", PeriodEnd: ts(time.Now().Add(time.Hour))})
	r := deliver(h, eventJSON("evt_co", "checkout.session.completed", map[string]any{
		"id": "cs_1", "object": "checkout.session", "mode": "subscription", "customer": "cus_co",
		"subscription": "sub_co", "client_reference_id": freeUser.String(),
	}))
	if r.Status != 200 {
		t.Fatalf("= %d %s", r.Status, r.Body)
	}
	if c := scalar[string](t, pool, `select stripe_customer_id from public.customers where user_id = $1`, freeUser); c != "cus_co" {
		t.Fatalf("customer = %s", c)
	}
	if !scalar[bool](t, pool, `select public.has_active_subscription($1)`, freeUser) {
		t.Fatal("not entitled after checkout")
	}
	// A subscription of a customer that is not ours is acknowledged and ignored.
	fake.setSub(Subscription{ID: "sub_alien", CustomerID: "cus_alien", Status: "active"})
	if r := deliver(h, eventJSON("evt_alien", "customer.subscription.created", map[string]any{"id": "sub_alien"})); r.Status != 200 {
		t.Fatalf("alien = %d %s", r.Status, r.Body)
	}
	if n := scalar[int](t, pool, `select count(*) from public.subscriptions where id = 'sub_alien'`); n != 0 {
		t.Fatal("alien subscription stored")
	}
}

// A cancellation reaches entitlement at once (redemption re-checks it) and the user's pages live.
func TestCancellationEndsEntitlementAndIsBroadcast(t *testing.T) {
	t.Parallel()
	fake, h, pool := newFakeWebhook(t)
	var paid uuid.UUID
	if err := pool.QueryRow(context.Background(), `select id from public.shaders where published and not is_free limit 1`).Scan(&paid); err != nil {
		t.Fatal(err)
	}
	if !scalar[bool](t, pool, `select public.has_entitlement($1, $2)`, proUser, paid) {
		t.Fatal("the seeded subscriber is not entitled to begin with")
	}
	fake.setSub(Subscription{ID: "sub_demo_pro", CustomerID: "cus_demo_pro", Status: "canceled", PriceID: "price_pro_monthly",
		CanceledAt: ts(time.Now()), PeriodEnd: ts(time.Now().Add(-time.Minute))})
	r := deliver(h, eventJSON("evt_cancel", "customer.subscription.deleted", map[string]any{"id": "sub_demo_pro", "object": "subscription"}))
	if r.Status != 200 {
		t.Fatalf("= %d %s", r.Status, r.Body)
	}
	if scalar[bool](t, pool, `select public.has_entitlement($1, $2)`, proUser, paid) {
		t.Fatal("still entitled after the cancellation")
	}
	n := scalar[int](t, pool, `select count(*) from realtime.messages where topic = $1 and event = 'subscription' and payload->>'status' = 'canceled'`, "user:"+proUser.String())
	if n != 1 {
		t.Fatalf("%d subscription broadcasts on user:<id>, want 1", n)
	}
}

func TestCustomerDeletedForgetsTheMapping(t *testing.T) {
	t.Parallel()
	_, h, pool := newWebhookService(t, newFake())
	linkTestCustomer(t, pool, freeUser, "cus_gone")
	if r := deliver(h, eventJSON("evt_cus_del", "customer.deleted", map[string]any{"id": "cus_gone", "object": "customer"})); r.Status != 200 {
		t.Fatalf("= %d %s", r.Status, r.Body)
	}
	if n := scalar[int](t, pool, `select count(*) from public.customers where user_id = $1`, freeUser); n != 0 {
		t.Fatal("deleted customer still mapped")
	}
	if n := scalar[int](t, pool, `select count(*) from public.customers where user_id = $1`, proUser); n != 1 {
		t.Fatal("another user's mapping was removed")
	}
}

// The endpoint subscribes to WebhookEvents(); each of them must reach a handler.
func TestEverySubscribedEventTypeIsHandled(t *testing.T) {
	t.Parallel()
	fake, h, _ := newLinkedWebhook(t, "cus_types")
	fake.setSub(Subscription{ID: "sub_types", CustomerID: "cus_types", Status: "active", PriceID: "price_pro_monthly"})
	fake.products["prod_types"] = Product{ID: "prod_types", Active: true, Name: "Types"}
	fake.prices["price_types"] = Price{ID: "price_types", ProductID: "prod_types", Active: true, Currency: "usd"}
	for i, typ := range WebhookEvents() {
		obj := map[string]any{"id": "sub_types"}
		switch strings.SplitN(typ, ".", 2)[0] {
		case "checkout":
			obj = map[string]any{"id": "cs_types", "mode": "subscription", "customer": "cus_types", "subscription": "sub_types"}
		case "invoice":
			obj = map[string]any{"id": "in_types", "subscription": "sub_types"}
		case "product":
			obj = map[string]any{"id": "prod_types"}
		case "price":
			obj = map[string]any{"id": "price_types"}
		case "customer":
			if typ == "customer.deleted" {
				obj = map[string]any{"id": "cus_other"}
			}
		}
		r := deliver(h, eventJSON(fmt.Sprintf("evt_types_%d", i), typ, obj))
		if r.Status != 200 || !strings.Contains(r.Body, `"handled":true`) {
			t.Errorf("%s = %d %s", typ, r.Status, r.Body)
		}
	}
}
