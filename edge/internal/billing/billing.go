// Package billing connects users to Stripe: hosted Checkout and the Customer Portal for the
// signed-in user, the webhook that mirrors Stripe's products, prices and subscriptions into
// PostgreSQL (where entitlement is decided), and the backfill behind `edge stripe-sync`.
//
// The webhook trusts an event only for its type and object id: it re-fetches the object from
// Stripe, so duplicated, late or reordered deliveries all converge on Stripe's current state.
// The event id is recorded in stripe_events in the same transaction as the effect.
package billing

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/stripe/stripe-go/v76"
	"github.com/stripe/stripe-go/v76/client"

	"github.com/octanebridge/octane-bridge/internal/apierror"
)

// fail builds the error a handler returns: the router maps the code to the status and body;
// msg is shown, err only logged.
func fail(code apierror.Code, msg string, err error) *apierror.Error {
	return apierror.Wrap(code, msg, err)
}

// Config holds the billing settings read from the environment by the edge.
type Config struct {
	WebhookSecret string        // STRIPE_WEBHOOK_SECRET
	SiteURL       string        // SITE_URL: Checkout and the portal return here
	Tolerance     time.Duration // accepted age of a webhook signature; default 5 min
	MaxBody       int64         // webhook body cap; default 256 KiB
	// Products are the library's own Stripe product ids (STRIPE_PRODUCT_IDS): checkout sells only
	// their prices and only their subscriptions entitle (products.entitles, kept by this service).
	Products []string
}

// Directory finds a user's e-mail (GoTrue's admin API in production).
type Directory interface {
	Email(ctx context.Context, user uuid.UUID) (string, error)
}

// Deps are the service's collaborators.
type Deps struct {
	DB     *pgxpool.Pool
	Stripe *client.API // Checkout, portal, customers
	Source Source      // re-fetches; defaults to StripeSource{Stripe}
	Users  Directory
	Log    *slog.Logger
	Config Config
}

// Service implements the billing endpoints. It is safe for concurrent use.
type Service struct {
	db     *pgxpool.Pool
	stripe *client.API
	src    Source
	users  Directory
	log    *slog.Logger
	cfg    Config
	ours   map[string]bool // Config.Products as a set
}

// New checks the dependencies and fills defaults.
func New(d Deps) (*Service, error) {
	if d.DB == nil {
		return nil, errors.New("billing: DB is required")
	}
	if d.Config.WebhookSecret == "" {
		return nil, errors.New("billing: STRIPE_WEBHOOK_SECRET is required")
	}
	if len(d.Config.Products) == 0 {
		return nil, errors.New("billing: STRIPE_PRODUCT_IDS is required (the library's own products)")
	}
	return newService(d)
}

// newService is New without the webhook secret, for the backfill.
func newService(d Deps) (*Service, error) {
	if d.DB == nil {
		return nil, errors.New("billing: DB is required")
	}
	if d.Source == nil {
		if d.Stripe == nil {
			return nil, errors.New("billing: a Stripe client or a Source is required")
		}
		d.Source = StripeSource{API: d.Stripe}
	}
	if d.Log == nil {
		d.Log = slog.New(slog.DiscardHandler)
	}
	if d.Config.Tolerance <= 0 {
		d.Config.Tolerance = 5 * time.Minute
	}
	if d.Config.MaxBody <= 0 {
		d.Config.MaxBody = 256 << 10
	}
	d.Config.SiteURL = strings.TrimRight(d.Config.SiteURL, "/")
	ours := make(map[string]bool, len(d.Config.Products))
	for _, id := range d.Config.Products {
		ours[id] = true
	}
	return &Service{db: d.DB, stripe: d.Stripe, src: d.Source, users: d.Users, log: d.Log, cfg: d.Config, ours: ours}, nil
}

// MarkLibraryProducts writes the configured product ids into products.entitles, which every
// SQL entitlement check reads: a product leaves or joins the library with the configuration.
// The edge calls it at start (until it succeeds) and the backfill before copying products.
func (s *Service) MarkLibraryProducts(ctx context.Context) error {
	ids := s.cfg.Products
	if ids == nil {
		ids = []string{}
	}
	var n int
	if err := s.db.QueryRow(ctx, `select public.set_library_products($1)`, ids).Scan(&n); err != nil {
		return fmt.Errorf("mark library products: %w", err)
	}
	if n > 0 {
		s.log.InfoContext(ctx, "library products marked", "products", ids, "changed", n)
	}
	return nil
}

// Outcome says what HandleEvent did.
type Outcome struct {
	Duplicate bool // the event id was seen before: nothing was done
	Handled   bool // the event was applied (its type is one billing acts on)
}

// HandleEvent applies one verified event exactly once: the event id is inserted into
// stripe_events in the same transaction as the effect, so a crash leaves neither and a
// concurrent duplicate waits on the id's unique index and then does nothing.
func (s *Service) HandleEvent(ctx context.Context, ev *stripe.Event) (Outcome, error) {
	if ev == nil || ev.ID == "" || ev.Data == nil {
		return Outcome{}, errors.New("billing: event without id or data")
	}
	tx, err := s.db.Begin(ctx)
	if err != nil {
		return Outcome{}, err
	}
	defer tx.Rollback(context.WithoutCancel(ctx)) //nolint:errcheck // no-op after commit
	tag, err := tx.Exec(ctx, `insert into public.stripe_events (id, type) values ($1, $2) on conflict (id) do nothing`, ev.ID, string(ev.Type))
	if err != nil {
		return Outcome{}, fmt.Errorf("record event: %w", err)
	}
	if tag.RowsAffected() == 0 {
		return Outcome{Duplicate: true}, tx.Commit(ctx)
	}
	handled, err := s.apply(ctx, tx, ev)
	if err != nil {
		return Outcome{}, fmt.Errorf("%s %s: %w", ev.Type, ev.ID, err)
	}
	return Outcome{Handled: handled}, tx.Commit(ctx)
}

func (s *Service) apply(ctx context.Context, tx pgx.Tx, ev *stripe.Event) (bool, error) {
	t := string(ev.Type)
	obj := ev.Data.Raw
	switch {
	case t == "checkout.session.completed":
		return true, s.onCheckoutCompleted(ctx, tx, obj)
	case strings.HasPrefix(t, "customer.subscription."):
		_, err := s.syncSubscription(ctx, tx, objectID(obj))
		return true, err
	case t == "invoice.paid" || t == "invoice.payment_failed":
		if id := invoiceSubscription(obj); id != "" {
			_, err := s.syncSubscription(ctx, tx, id)
			return true, err
		}
		return true, nil // a one-off invoice: no subscription to update
	case t == "customer.deleted":
		// Forget the mapping so the next checkout creates a live customer; the customer's
		// subscriptions end through their own events.
		_, err := tx.Exec(ctx, `delete from public.customers where stripe_customer_id = $1`, objectID(obj))
		return true, err
	case t == "product.deleted":
		return true, deactivate(ctx, tx, "products", objectID(obj))
	case strings.HasPrefix(t, "product."):
		return true, s.syncProduct(ctx, tx, objectID(obj))
	case t == "price.deleted":
		return true, deactivate(ctx, tx, "prices", objectID(obj))
	case strings.HasPrefix(t, "price."):
		return true, s.syncPrice(ctx, tx, objectID(obj))
	}
	return false, nil
}

func (s *Service) onCheckoutCompleted(ctx context.Context, tx pgx.Tx, obj []byte) error {
	cs, err := parseCheckoutSession(obj)
	if err != nil {
		return err
	}
	if user, perr := uuid.Parse(cs.ClientReferenceID); perr == nil && cs.Customer != "" {
		// Our checkout always has a customer already; this covers a session created elsewhere.
		if _, err := linkCustomer(ctx, tx, user, cs.Customer); err != nil {
			return err
		}
	}
	if cs.Mode != "subscription" || cs.Subscription == "" {
		return nil
	}
	_, err = s.syncSubscription(ctx, tx, cs.Subscription)
	return err
}

// syncSubscription writes Stripe's current state of one subscription. A per-subscription
// advisory lock, taken before the fetch, orders concurrent syncs (on every edge instance) so
// a later fetch is always the later write. stored is false when the subscription is not ours.
func (s *Service) syncSubscription(ctx context.Context, tx pgx.Tx, id string) (stored bool, err error) {
	if id == "" {
		return false, errors.New("subscription event without an object id")
	}
	if _, err := tx.Exec(ctx, `select pg_advisory_xact_lock(hashtextextended($1, 0))`, "stripe:subscription:"+id); err != nil {
		return false, err
	}
	sub, err := s.src.Subscription(ctx, id)
	if errors.Is(err, ErrNotFound) {
		s.log.WarnContext(ctx, "stripe subscription not found; ignored", "subscription", id)
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("fetch subscription: %w", err)
	}
	user, ok, err := userForCustomer(ctx, tx, sub.CustomerID, sub.UserID)
	if err != nil {
		return false, err
	}
	if !ok {
		// Not one of our users (another integration on the same Stripe account).
		s.log.WarnContext(ctx, "stripe subscription of an unknown customer; ignored", "subscription", id, "customer", sub.CustomerID)
		return false, nil
	}
	sub.PriceID = s.libraryPrice(sub)
	if sub.PriceID != "" {
		if err := s.ensurePrice(ctx, tx, sub.PriceID); err != nil {
			return false, err
		}
	}
	return true, upsertSubscription(ctx, tx, user, sub)
}

func (s *Service) syncProduct(ctx context.Context, tx pgx.Tx, id string) error {
	p, err := s.src.Product(ctx, id)
	if errors.Is(err, ErrNotFound) {
		return deactivate(ctx, tx, "products", id)
	}
	if err != nil {
		return fmt.Errorf("fetch product: %w", err)
	}
	return upsertProduct(ctx, tx, p, s.ours[p.ID])
}

// libraryPrice is the price a subscription row records: the first item that is one of the
// library's products, else the first item (a subscription that does not entitle).
func (s *Service) libraryPrice(sub Subscription) string {
	for _, it := range sub.Items {
		if s.ours[it.ProductID] {
			return it.PriceID
		}
	}
	return sub.PriceID
}

func (s *Service) syncPrice(ctx context.Context, tx pgx.Tx, id string) error {
	p, err := s.src.Price(ctx, id)
	if errors.Is(err, ErrNotFound) {
		return deactivate(ctx, tx, "prices", id)
	}
	if err != nil {
		return fmt.Errorf("fetch price: %w", err)
	}
	if err := s.ensureProduct(ctx, tx, p.ProductID); err != nil {
		return err
	}
	return upsertPrice(ctx, tx, p)
}

// ensurePrice / ensureProduct fetch what a row refers to when its own event has not arrived
// (or never will: prices created before the webhook existed).
func (s *Service) ensurePrice(ctx context.Context, tx pgx.Tx, id string) error {
	if ok, err := exists(ctx, tx, "prices", id); err != nil || ok {
		return err
	}
	return s.syncPrice(ctx, tx, id)
}

func (s *Service) ensureProduct(ctx context.Context, tx pgx.Tx, id string) error {
	if id == "" {
		return errors.New("price without a product")
	}
	if ok, err := exists(ctx, tx, "products", id); err != nil || ok {
		return err
	}
	return s.syncProduct(ctx, tx, id)
}
