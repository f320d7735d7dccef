package stripelocal

import (
	"context"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/octanebridge/octane-bridge/internal/testenv"
)

// The local Stripe's account and supabase/seed.sql describe the same demo: a re-fetch by the
// edge must not change a seeded row.
func TestSeedMatchesTheDatabaseSeed(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, testenv.DB(t))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	st := newState()
	seed(st, 0)

	rows, _ := conn.Query(ctx, `select id, active, name, coalesce(description, '') from public.products`)
	products, err := pgx.CollectRows(rows, pgx.RowToStructByPos[struct {
		ID          string
		Active      bool
		Name, Descr string
	}])
	if err != nil || len(products) != len(st.Products) {
		t.Fatalf("products: %v %v, local %d", products, err, len(st.Products))
	}
	for _, p := range products {
		if l := st.Products[p.ID]; l == nil || l.Active != p.Active || l.Name != p.Name || l.Description != p.Descr {
			t.Errorf("product %s: database %+v, local %+v", p.ID, p, l)
		}
	}
	rows, _ = conn.Query(ctx, `select id, product_id, active, currency, unit_amount, interval, interval_count, coalesce(lookup_key, '') from public.prices`)
	prices, err := pgx.CollectRows(rows, pgx.RowToStructByPos[struct {
		ID, Product string
		Active      bool
		Currency    string
		Amount      int64
		Interval    string
		Count       int64
		LookupKey   string
	}])
	if err != nil || len(prices) != len(st.Prices) {
		t.Fatalf("prices: %v %v, local %d", prices, err, len(st.Prices))
	}
	for _, p := range prices {
		l := st.Prices[p.ID]
		if l == nil || l.Product != p.Product || l.Active != p.Active || l.Currency != p.Currency || l.UnitAmount != p.Amount ||
			l.Interval != p.Interval || l.IntervalCount != p.Count || l.LookupKey != p.LookupKey {
			t.Errorf("price %s: database %+v, local %+v", p.ID, p, l)
		}
	}
	var user, customer, email string
	if err := conn.QueryRow(ctx, `select c.user_id::text, c.stripe_customer_id, u.email from public.customers c join auth.users u on u.id = c.user_id`).Scan(&user, &customer, &email); err != nil {
		t.Fatal(err)
	}
	if c := st.Customers[customer]; c == nil || c.Email != email || c.Metadata["user_id"] != user {
		t.Errorf("customer %s of %s (%s): local %+v", customer, user, email, c)
	}
	var sub, subUser, status, price string
	if err := conn.QueryRow(ctx, `select id, user_id::text, status, price_id from public.subscriptions`).Scan(&sub, &subUser, &status, &price); err != nil {
		t.Fatal(err)
	}
	if s := st.Subscriptions[sub]; s == nil || s.Status != status || s.Price != price || s.Customer != customer || s.Metadata["user_id"] != subUser {
		t.Errorf("subscription %s: local %+v", sub, s)
	}
}
