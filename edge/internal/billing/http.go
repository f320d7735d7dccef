package billing

import (
	"context"
	"errors"
	"io"
	"net/http"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/labstack/echo/v4"
	"github.com/stripe/stripe-go/v76"
	"github.com/stripe/stripe-go/v76/webhook"

	"github.com/octanebridge/octane-bridge/internal/apierror"
)

// CurrentUser reads the signed-in user that the router's auth middleware established.
type CurrentUser func(c echo.Context) (user uuid.UUID, ok bool)

// Binder decodes a request body into v, refusing what the API does not document (the router's
// httpapi.Bind: one JSON object of known fields).
type Binder func(c echo.Context, v any) error

const maxJSONBody = 4 << 10

// CheckoutRequest is the body of POST /v1/billing/checkout.
type CheckoutRequest struct {
	PriceID string `json:"price_id"`
}

// Checkout answers POST /v1/billing/checkout {price_id} with the URL of a hosted Checkout
// session (subscription mode) for the signed-in user.
func (s *Service) Checkout(current CurrentUser, bind Binder) echo.HandlerFunc {
	return func(c echo.Context) error {
		user, ok := current(c)
		if !ok {
			return fail(apierror.AuthRequired, "sign in to subscribe", nil)
		}
		var in CheckoutRequest
		c.Request().Body = http.MaxBytesReader(c.Response(), c.Request().Body, maxJSONBody)
		if err := bind(c, &in); err != nil {
			return err
		}
		if in.PriceID == "" {
			return fail(apierror.MissingRequiredField, "price_id is required", nil)
		}
		ctx := c.Request().Context()
		var recurring bool
		var product string
		err := s.db.QueryRow(ctx, `select p.interval is not null, p.product_id from public.prices p
			join public.products pr on pr.id = p.product_id
			where p.id = $1 and p.active and pr.active`, in.PriceID).Scan(&recurring, &product)
		if errors.Is(err, pgx.ErrNoRows) {
			return fail(apierror.InvalidInput, "price_id is not an available price", nil)
		}
		if err != nil {
			return fail(apierror.Internal, "could not start checkout", err)
		}
		// Only the library's own products are sold here: another product's price on the same
		// Stripe account would be paid for and then unlock nothing.
		if !s.ours[product] {
			return fail(apierror.InvalidInput, "price_id is not a price of the library's plan", nil)
		}
		if !recurring {
			return fail(apierror.InvalidInput, "price_id is not a subscription price", nil)
		}
		// One library subscription per customer: a live one (including past_due, unpaid, paused:
		// those are fixed in the portal, not by paying twice) sends the user to the portal instead.
		var live bool
		if err := s.db.QueryRow(ctx, `select exists (select 1 from public.subscriptions s
			join public.prices p on p.id = s.price_id
			where s.user_id = $1 and p.product_id = any($2)
			and s.status not in ('canceled', 'incomplete', 'incomplete_expired'))`, user, s.cfg.Products).Scan(&live); err != nil {
			return fail(apierror.Internal, "could not start checkout", err)
		}
		if live {
			return fail(apierror.Conflict, "you already have a subscription; manage it in the billing portal", nil)
		}
		customer, err := s.customerFor(ctx, user)
		if err != nil {
			return err
		}
		p := &stripe.CheckoutSessionParams{
			Mode:                stripe.String(string(stripe.CheckoutSessionModeSubscription)),
			Customer:            stripe.String(customer),
			ClientReferenceID:   stripe.String(user.String()),
			LineItems:           []*stripe.CheckoutSessionLineItemParams{{Price: stripe.String(in.PriceID), Quantity: stripe.Int64(1)}},
			SuccessURL:          stripe.String(s.cfg.SiteURL + "/account?checkout=success&session_id={CHECKOUT_SESSION_ID}"),
			CancelURL:           stripe.String(s.cfg.SiteURL + "/account?checkout=cancelled"),
			AllowPromotionCodes: stripe.Bool(true),
			SubscriptionData: &stripe.CheckoutSessionSubscriptionDataParams{
				Metadata: map[string]string{"user_id": user.String()},
			},
		}
		p.Context = ctx
		sess, err := s.stripe.CheckoutSessions.New(p)
		if err != nil {
			return fail(apierror.ServiceUnavailable, "the payment provider is unavailable", err)
		}
		return c.JSON(http.StatusOK, map[string]string{"url": sess.URL})
	}
}

// Portal answers POST /v1/billing/portal with the URL of a Customer Portal session.
func (s *Service) Portal(current CurrentUser) echo.HandlerFunc {
	return func(c echo.Context) error {
		user, ok := current(c)
		if !ok {
			return fail(apierror.AuthRequired, "sign in to manage billing", nil)
		}
		ctx := c.Request().Context()
		var customer string
		err := s.db.QueryRow(ctx, `select stripe_customer_id from public.customers where user_id = $1`, user).Scan(&customer)
		if errors.Is(err, pgx.ErrNoRows) {
			return fail(apierror.NotFound, "there is no billing account yet; subscribe first", nil)
		}
		if err != nil {
			return fail(apierror.Internal, "could not open the billing portal", err)
		}
		p := &stripe.BillingPortalSessionParams{Customer: stripe.String(customer), ReturnURL: stripe.String(s.cfg.SiteURL + "/account")}
		p.Context = ctx
		sess, err := s.stripe.BillingPortalSessions.New(p)
		if err != nil {
			return fail(apierror.ServiceUnavailable, "the payment provider is unavailable", err)
		}
		return c.JSON(http.StatusOK, map[string]string{"url": sess.URL})
	}
}

// customerFor returns the user's Stripe customer, creating it (with the user's e-mail) once.
// The idempotency key makes concurrent first checkouts of one user create one customer.
func (s *Service) customerFor(ctx context.Context, user uuid.UUID) (string, error) {
	var id string
	err := s.db.QueryRow(ctx, `select stripe_customer_id from public.customers where user_id = $1`, user).Scan(&id)
	if err == nil {
		return id, nil
	}
	if !errors.Is(err, pgx.ErrNoRows) {
		return "", fail(apierror.Internal, "could not start checkout", err)
	}
	if s.users == nil {
		return "", fail(apierror.Internal, "could not start checkout", errors.New("billing: no user directory"))
	}
	email, err := s.users.Email(ctx, user)
	if err != nil {
		return "", fail(apierror.ServiceUnavailable, "could not read your account", err)
	}
	p := &stripe.CustomerParams{Email: stripe.String(email)}
	p.AddMetadata("user_id", user.String())
	p.IdempotencyKey = stripe.String("octane-customer-" + user.String())
	p.Context = ctx
	cus, err := s.stripe.Customers.New(p)
	if err != nil {
		return "", fail(apierror.ServiceUnavailable, "the payment provider is unavailable", err)
	}
	err = s.db.QueryRow(ctx, `
		with ins as (
		  insert into public.customers (user_id, stripe_customer_id) values ($1, $2)
		  on conflict (user_id) do nothing returning stripe_customer_id)
		select stripe_customer_id from ins
		union all select stripe_customer_id from public.customers where user_id = $1
		limit 1`, user, cus.ID).Scan(&id)
	if err != nil {
		return "", fail(apierror.Internal, "could not start checkout", err)
	}
	return id, nil
}

// Webhook answers POST /v1/stripe/webhook. It reads the raw body (capped), verifies the
// Stripe-Signature over exactly those bytes, and applies the event once. Bad signatures, stale
// timestamps and oversized bodies get 400; types billing does not act on get 200; a failure
// while applying gets 500 so that Stripe retries.
func (s *Service) Webhook() echo.HandlerFunc {
	return func(c echo.Context) error {
		if s.cfg.WebhookSecret == "" { // an empty HMAC key would accept anyone's signature
			return fail(apierror.ServiceUnavailable, "webhooks are not configured", nil)
		}
		body, err := io.ReadAll(io.LimitReader(c.Request().Body, s.cfg.MaxBody+1))
		if err != nil {
			return fail(apierror.InvalidInput, "could not read the body", err)
		}
		if int64(len(body)) > s.cfg.MaxBody {
			return fail(apierror.InvalidInput, "the body is too large", nil)
		}
		ev, err := webhook.ConstructEventWithOptions(body, c.Request().Header.Get("Stripe-Signature"), s.cfg.WebhookSecret,
			webhook.ConstructEventOptions{
				Tolerance: s.cfg.Tolerance,
				// Only the type and object id are read from the event; objects are re-fetched with
				// the client's pinned version, so an endpoint on another version is harmless.
				IgnoreAPIVersionMismatch: true,
			})
		if err != nil {
			msg := "invalid Stripe signature"
			if errors.Is(err, webhook.ErrTooOld) {
				msg = "the Stripe signature timestamp is too old"
			}
			return fail(apierror.InvalidInput, msg, err)
		}
		out, err := s.HandleEvent(c.Request().Context(), &ev)
		if err != nil {
			s.log.ErrorContext(c.Request().Context(), "stripe webhook failed", "event", ev.ID, "type", string(ev.Type), "err", err)
			return fail(apierror.Internal, "the event could not be processed", err)
		}
		s.log.InfoContext(c.Request().Context(), "stripe webhook", "event", ev.ID, "type", string(ev.Type), "duplicate", out.Duplicate, "handled", out.Handled)
		return c.JSON(http.StatusOK, map[string]bool{"received": true, "duplicate": out.Duplicate, "handled": out.Handled})
	}
}
