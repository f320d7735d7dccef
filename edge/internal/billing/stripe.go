package billing

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"github.com/stripe/stripe-go/v76"
	"github.com/stripe/stripe-go/v76/client"
)

// NewStripeClient returns a Stripe API client pinned to stripe-go's API version (2023-10-16).
// apiBase points it elsewhere (stripe-mock locally); empty means api.stripe.com.
func NewStripeClient(secretKey, apiBase string, hc *http.Client, log *slog.Logger) *client.API {
	if hc == nil {
		hc = &http.Client{Timeout: 20 * time.Second}
	}
	cfg := &stripe.BackendConfig{
		HTTPClient:        hc,
		LeveledLogger:     slogLeveled{log},
		MaxNetworkRetries: stripe.Int64(2),
	}
	if apiBase != "" {
		cfg.URL = stripe.String(apiBase)
	}
	return client.New(secretKey, &stripe.Backends{
		API:     stripe.GetBackendWithConfig(stripe.APIBackend, cfg),
		Connect: stripe.GetBackendWithConfig(stripe.ConnectBackend, cfg),
		Uploads: stripe.GetBackendWithConfig(stripe.UploadsBackend, cfg),
	})
}

// slogLeveled routes stripe-go's own logging into slog at debug level (it logs request lines).
type slogLeveled struct{ l *slog.Logger }

func (s slogLeveled) Debugf(f string, v ...any) { s.log(slog.LevelDebug, f, v...) }
func (s slogLeveled) Infof(f string, v ...any)  { s.log(slog.LevelDebug, f, v...) }
func (s slogLeveled) Warnf(f string, v ...any)  { s.log(slog.LevelWarn, f, v...) }
func (s slogLeveled) Errorf(f string, v ...any) { s.log(slog.LevelWarn, f, v...) }
func (s slogLeveled) log(lvl slog.Level, f string, v ...any) {
	if s.l != nil {
		s.l.Log(context.Background(), lvl, "stripe: "+fmt.Sprintf(f, v...))
	}
}

// Subscription is the part of a Stripe subscription the entitlement needs.
type Subscription struct {
	ID                string
	CustomerID        string
	UserID            string // metadata.user_id, set at checkout
	Status            string
	PriceID           string // the first item's price
	Items             []SubscriptionItem
	CancelAtPeriodEnd bool
	PeriodStart       *time.Time
	PeriodEnd         *time.Time
	CanceledAt        *time.Time
}

// SubscriptionItem is one line of a subscription: a price and the product it sells.
type SubscriptionItem struct {
	PriceID, ProductID string
}

// Product mirrors the products table.
type Product struct {
	ID          string
	Active      bool
	Name        string
	Description string
	Metadata    map[string]string
}

// Price mirrors the prices table.
type Price struct {
	ID            string
	ProductID     string
	Active        bool
	Currency      string
	UnitAmount    *int64
	Interval      string // empty for one-time prices
	IntervalCount int
	LookupKey     string
	Metadata      map[string]string
}

// ErrNotFound is returned by a Source for an object Stripe does not know.
var ErrNotFound = errors.New("billing: no such Stripe object")

// Source is where the webhook re-fetches the current state of an object, instead of trusting
// the (possibly stale, possibly reordered) copy inside the event.
type Source interface {
	Subscription(ctx context.Context, id string) (Subscription, error)
	Price(ctx context.Context, id string) (Price, error)
	Product(ctx context.Context, id string) (Product, error)
}

// Lister enumerates the account for the backfill (edge stripe-sync).
type Lister interface {
	Source
	EachProduct(ctx context.Context, fn func(Product) error) error
	EachPrice(ctx context.Context, fn func(Price) error) error
	EachSubscriptionID(ctx context.Context, fn func(id string) error) error
}

// StripeSource reads from the Stripe API.
type StripeSource struct{ API *client.API }

var _ Lister = StripeSource{}

func notFound(err error) error {
	var se *stripe.Error
	if errors.As(err, &se) && se.HTTPStatusCode == http.StatusNotFound {
		return fmt.Errorf("%w: %s", ErrNotFound, se.Msg)
	}
	return err
}

// rawSubscription decodes the subscription JSON directly: stripe-go v76 has no field for the
// item-level current_period_* that newer API versions (and stripe-mock) send.
type rawSubscription struct {
	ID                 string            `json:"id"`
	Customer           json.RawMessage   `json:"customer"`
	Status             string            `json:"status"`
	CancelAtPeriodEnd  bool              `json:"cancel_at_period_end"`
	CurrentPeriodStart int64             `json:"current_period_start"`
	CurrentPeriodEnd   int64             `json:"current_period_end"`
	CanceledAt         int64             `json:"canceled_at"`
	Metadata           map[string]string `json:"metadata"`
	Items              struct {
		Data []struct {
			CurrentPeriodStart int64 `json:"current_period_start"`
			CurrentPeriodEnd   int64 `json:"current_period_end"`
			Price              struct {
				ID      string          `json:"id"`
				Product json.RawMessage `json:"product"`
			} `json:"price"`
		} `json:"data"`
	} `json:"items"`
}

// idOf reads an expandable field: either "id" or {"id": ...}.
func idOf(raw json.RawMessage) string {
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return s
	}
	var o struct {
		ID string `json:"id"`
	}
	_ = json.Unmarshal(raw, &o)
	return o.ID
}

func unixPtr(s int64) *time.Time {
	if s <= 0 {
		return nil
	}
	t := time.Unix(s, 0).UTC()
	return &t
}

// ParseSubscription turns a subscription's JSON into a Subscription. The billing period comes
// from the subscription when present (API 2023-10-16), else from its first item (API versions
// from 2025-03-31, and stripe-mock).
func ParseSubscription(raw []byte) (Subscription, error) {
	var r rawSubscription
	if err := json.Unmarshal(raw, &r); err != nil {
		return Subscription{}, fmt.Errorf("billing: decode subscription: %w", err)
	}
	if r.ID == "" || r.Status == "" {
		return Subscription{}, errors.New("billing: subscription without id or status")
	}
	s := Subscription{
		ID: r.ID, CustomerID: idOf(r.Customer), UserID: r.Metadata["user_id"], Status: r.Status,
		CancelAtPeriodEnd: r.CancelAtPeriodEnd, CanceledAt: unixPtr(r.CanceledAt),
		PeriodStart: unixPtr(r.CurrentPeriodStart), PeriodEnd: unixPtr(r.CurrentPeriodEnd),
	}
	for _, it := range r.Items.Data {
		s.Items = append(s.Items, SubscriptionItem{PriceID: it.Price.ID, ProductID: idOf(it.Price.Product)})
	}
	if len(r.Items.Data) > 0 {
		it := r.Items.Data[0]
		s.PriceID = it.Price.ID
		if s.PeriodEnd == nil {
			s.PeriodStart, s.PeriodEnd = unixPtr(it.CurrentPeriodStart), unixPtr(it.CurrentPeriodEnd)
		}
	}
	return s, nil
}

func (s StripeSource) Subscription(ctx context.Context, id string) (Subscription, error) {
	p := &stripe.SubscriptionParams{}
	p.Context = ctx
	sub, err := s.API.Subscriptions.Get(id, p)
	if err != nil {
		return Subscription{}, notFound(err)
	}
	if sub.LastResponse == nil {
		return Subscription{}, errors.New("billing: subscription response without body")
	}
	return ParseSubscription(sub.LastResponse.RawJSON)
}

func toPrice(p *stripe.Price) Price {
	out := Price{ID: p.ID, Active: p.Active, Currency: string(p.Currency), LookupKey: p.LookupKey, Metadata: p.Metadata, IntervalCount: 1}
	if p.Product != nil {
		out.ProductID = p.Product.ID
	}
	if p.BillingScheme != stripe.PriceBillingSchemeTiered && p.CustomUnitAmount == nil {
		ua := p.UnitAmount
		out.UnitAmount = &ua
	}
	if p.Recurring != nil {
		out.Interval = string(p.Recurring.Interval)
		if p.Recurring.IntervalCount > 0 {
			out.IntervalCount = int(p.Recurring.IntervalCount)
		}
	}
	return out
}

func toProduct(p *stripe.Product) Product {
	return Product{ID: p.ID, Active: p.Active, Name: p.Name, Description: p.Description, Metadata: p.Metadata}
}

func (s StripeSource) Price(ctx context.Context, id string) (Price, error) {
	p := &stripe.PriceParams{}
	p.Context = ctx
	pr, err := s.API.Prices.Get(id, p)
	if err != nil {
		return Price{}, notFound(err)
	}
	return toPrice(pr), nil
}

func (s StripeSource) Product(ctx context.Context, id string) (Product, error) {
	p := &stripe.ProductParams{}
	p.Context = ctx
	pr, err := s.API.Products.Get(id, p)
	if err != nil {
		return Product{}, notFound(err)
	}
	return toProduct(pr), nil
}

func (s StripeSource) EachProduct(ctx context.Context, fn func(Product) error) error {
	it := s.API.Products.List(&stripe.ProductListParams{ListParams: pageOf100(ctx)})
	return each(it.Iter, func(p *stripe.Product) error { return fn(toProduct(p)) })
}

func (s StripeSource) EachPrice(ctx context.Context, fn func(Price) error) error {
	it := s.API.Prices.List(&stripe.PriceListParams{ListParams: pageOf100(ctx)})
	return each(it.Iter, func(p *stripe.Price) error { return fn(toPrice(p)) })
}

func (s StripeSource) EachSubscriptionID(ctx context.Context, fn func(string) error) error {
	it := s.API.Subscriptions.List(&stripe.SubscriptionListParams{ListParams: pageOf100(ctx), Status: stripe.String("all")})
	return each(it.Iter, func(sub *stripe.Subscription) error { return fn(sub.ID) })
}

// pageOf100 lists in Stripe's largest pages: a reconcile walks every object.
func pageOf100(ctx context.Context) stripe.ListParams {
	return stripe.ListParams{Context: ctx, Limit: stripe.Int64(100)}
}

// each calls fn on every item of one of Stripe's list iterators (fetching page after page) and
// stops at fn's first error or the listing's.
func each[T any](it *stripe.Iter, fn func(T) error) error {
	for it.Next() {
		if err := fn(it.Current().(T)); err != nil {
			return err
		}
	}
	return it.Err()
}
