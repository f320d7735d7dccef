package billing

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
)

// The queries below are the only SQL the billing code runs. They run on the edge's service
// connection (RLS does not apply to it) inside the caller's transaction.

func jsonMeta(m map[string]string) []byte {
	if m == nil {
		m = map[string]string{}
	}
	b, _ := json.Marshal(m)
	return b
}

func nullable(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

// upsertProduct writes a product; entitles says whether it is one of the library's own.
func upsertProduct(ctx context.Context, tx pgx.Tx, p Product, entitles bool) error {
	name := p.Name
	if name == "" {
		name = p.ID
	}
	_, err := tx.Exec(ctx, `
		insert into public.products (id, active, name, description, metadata, entitles, updated_at)
		values ($1, $2, $3, $4, $5, $6, now())
		on conflict (id) do update set active = excluded.active, name = excluded.name,
		  description = excluded.description, metadata = excluded.metadata, entitles = excluded.entitles,
		  updated_at = now()`,
		p.ID, p.Active, name, nullable(p.Description), jsonMeta(p.Metadata), entitles)
	if err != nil {
		return fmt.Errorf("upsert product %s: %w", p.ID, err)
	}
	return nil
}

func upsertPrice(ctx context.Context, tx pgx.Tx, p Price) error {
	if p.LookupKey != "" {
		// Stripe moves a lookup key to a new price (transfer_lookup_key); the column is unique.
		if _, err := tx.Exec(ctx, `update public.prices set lookup_key = null, updated_at = now()
			where lookup_key = $1 and id <> $2`, p.LookupKey, p.ID); err != nil {
			return fmt.Errorf("release lookup key %s: %w", p.LookupKey, err)
		}
	}
	var interval *string
	if p.Interval != "" {
		interval = &p.Interval
	}
	count := p.IntervalCount
	if count < 1 {
		count = 1
	}
	_, err := tx.Exec(ctx, `
		insert into public.prices (id, product_id, active, currency, unit_amount, "interval", interval_count,
		                           lookup_key, metadata, updated_at)
		values ($1, $2, $3, $4, $5, $6, $7, $8, $9, now())
		on conflict (id) do update set product_id = excluded.product_id, active = excluded.active,
		  currency = excluded.currency, unit_amount = excluded.unit_amount, "interval" = excluded."interval",
		  interval_count = excluded.interval_count, lookup_key = excluded.lookup_key,
		  metadata = excluded.metadata, updated_at = now()`,
		p.ID, p.ProductID, p.Active, p.Currency, p.UnitAmount, interval, count, nullable(p.LookupKey), jsonMeta(p.Metadata))
	if err != nil {
		return fmt.Errorf("upsert price %s: %w", p.ID, err)
	}
	return nil
}

func deactivate(ctx context.Context, tx pgx.Tx, table, id string) error {
	// table is one of two constants chosen by the caller, never input.
	_, err := tx.Exec(ctx, `update public.`+table+` set active = false, updated_at = now() where id = $1`, id)
	return err
}

func exists(ctx context.Context, tx pgx.Tx, table, id string) (bool, error) {
	var ok bool
	err := tx.QueryRow(ctx, `select exists (select 1 from public.`+table+` where id = $1)`, id).Scan(&ok)
	return ok, err
}

// userForCustomer finds the user behind a Stripe customer; metaUser (subscription metadata,
// written by our checkout) is the fallback, and is remembered when it names a real user.
func userForCustomer(ctx context.Context, tx pgx.Tx, customerID, metaUser string) (uuid.UUID, bool, error) {
	var id uuid.UUID
	err := tx.QueryRow(ctx, `select user_id from public.customers where stripe_customer_id = $1`, customerID).Scan(&id)
	if err == nil {
		return id, true, nil
	}
	if !errors.Is(err, pgx.ErrNoRows) {
		return uuid.Nil, false, err
	}
	u, perr := uuid.Parse(metaUser)
	if perr != nil || customerID == "" {
		return uuid.Nil, false, nil
	}
	ok, err := linkCustomer(ctx, tx, u, customerID)
	return u, ok, err
}

// linkCustomer records user ↔ customer when the user exists and has no customer yet.
func linkCustomer(ctx context.Context, tx pgx.Tx, user uuid.UUID, customerID string) (bool, error) {
	tag, err := tx.Exec(ctx, `
		insert into public.customers (user_id, stripe_customer_id)
		select $1, $2 where exists (select 1 from auth.users where id = $1)
		on conflict do nothing`, user, customerID)
	if err != nil {
		return false, fmt.Errorf("link customer: %w", err)
	}
	if tag.RowsAffected() == 1 {
		return true, nil
	}
	var same bool
	err = tx.QueryRow(ctx, `select exists (select 1 from public.customers where user_id = $1 and stripe_customer_id = $2)`, user, customerID).Scan(&same)
	return same, err
}

// upsertSubscription writes the state just fetched; the caller holds the subscription's
// advisory lock, so writes happen in fetch order and the last fetch wins.
func upsertSubscription(ctx context.Context, tx pgx.Tx, user uuid.UUID, s Subscription) error {
	_, err := tx.Exec(ctx, `
		insert into public.subscriptions (id, user_id, status, price_id, cancel_at_period_end,
		  current_period_start, current_period_end, canceled_at, stripe_updated_at, updated_at)
		values ($1, $2, $3, $4, $5, $6, $7, $8, clock_timestamp(), now())
		on conflict (id) do update set status = excluded.status, price_id = excluded.price_id,
		  cancel_at_period_end = excluded.cancel_at_period_end,
		  current_period_start = excluded.current_period_start,
		  current_period_end = excluded.current_period_end, canceled_at = excluded.canceled_at,
		  stripe_updated_at = excluded.stripe_updated_at, updated_at = now()`,
		s.ID, user, s.Status, nullable(s.PriceID), s.CancelAtPeriodEnd, s.PeriodStart, s.PeriodEnd, s.CanceledAt)
	if err != nil {
		return fmt.Errorf("upsert subscription %s: %w", s.ID, err)
	}
	return nil
}
