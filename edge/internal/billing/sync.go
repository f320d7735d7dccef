package billing

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// SyncReport counts what a backfill wrote.
type SyncReport struct {
	Products      int `json:"products"`
	Prices        int `json:"prices"`
	Subscriptions int `json:"subscriptions"`
	Skipped       int `json:"skipped_subscriptions"` // customers that are not ours
}

// Backfill copies every product, price and subscription from Stripe, for accounts whose
// objects predate the webhook or after an outage longer than Stripe's retries. Each object is
// written in its own transaction with the same code the webhook uses, so it is safe to run
// while webhooks arrive.
func (s *Service) Backfill(ctx context.Context, l Lister) (SyncReport, error) {
	var r SyncReport
	inTx := func(fn func(pgx.Tx) error) error {
		return pgx.BeginFunc(ctx, s.db, fn)
	}
	if err := s.MarkLibraryProducts(ctx); err != nil {
		return r, err
	}
	err := l.EachProduct(ctx, func(p Product) error {
		r.Products++
		return inTx(func(tx pgx.Tx) error { return upsertProduct(ctx, tx, p, s.ours[p.ID]) })
	})
	if err != nil {
		return r, fmt.Errorf("products: %w", err)
	}
	err = l.EachPrice(ctx, func(p Price) error {
		r.Prices++
		return inTx(func(tx pgx.Tx) error {
			if err := s.ensureProduct(ctx, tx, p.ProductID); err != nil {
				return err
			}
			return upsertPrice(ctx, tx, p)
		})
	})
	if err != nil {
		return r, fmt.Errorf("prices: %w", err)
	}
	err = l.EachSubscriptionID(ctx, func(id string) error {
		return inTx(func(tx pgx.Tx) error {
			stored, err := s.syncSubscription(ctx, tx, id)
			if stored {
				r.Subscriptions++
			} else if err == nil {
				r.Skipped++
			}
			return err
		})
	})
	if err != nil {
		return r, fmt.Errorf("subscriptions: %w", err)
	}
	return r, nil
}

// CommandConfig are the settings of `edge stripe-sync` and `edge stripe-webhook`, taken from the
// edge's configuration (config.Config) by its main.
type CommandConfig struct {
	DatabaseURL string   // DATABASE_URL (stripe-sync)
	SecretKey   string   // STRIPE_SECRET_KEY
	APIBase     string   // STRIPE_API_BASE: empty for api.stripe.com (stripe-mock locally)
	Products    []string // STRIPE_PRODUCT_IDS: the library's own products (stripe-sync)
}

// RunStripeSync is `edge stripe-sync`: with DATABASE_URL, STRIPE_SECRET_KEY, STRIPE_PRODUCT_IDS
// and STRIPE_API_BASE (optional) it runs the backfill and prints the report as JSON.
func RunStripeSync(ctx context.Context, c CommandConfig, stdout io.Writer, log *slog.Logger) error {
	dbURL, key, products := c.DatabaseURL, c.SecretKey, c.Products
	if dbURL == "" || key == "" || len(products) == 0 {
		return errors.New("stripe-sync: DATABASE_URL, STRIPE_SECRET_KEY and STRIPE_PRODUCT_IDS are required")
	}
	ctx, cancel := context.WithTimeout(ctx, 30*time.Minute)
	defer cancel()
	pool, err := pgxpool.New(ctx, dbURL)
	if err != nil {
		return fmt.Errorf("stripe-sync: %w", err)
	}
	defer pool.Close()
	api := NewStripeClient(key, c.APIBase, nil, log)
	s, err := newService(Deps{DB: pool, Stripe: api, Log: log, Config: Config{Products: products}})
	if err != nil {
		return err
	}
	rep, err := s.Backfill(ctx, StripeSource{API: api})
	if err != nil {
		return fmt.Errorf("stripe-sync: %w", err)
	}
	if log != nil {
		log.InfoContext(ctx, "stripe sync done", "products", rep.Products, "prices", rep.Prices, "subscriptions", rep.Subscriptions, "skipped", rep.Skipped)
	}
	return json.NewEncoder(stdout).Encode(rep)
}
