package billing

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/url"

	"github.com/stripe/stripe-go/v76"
	"github.com/stripe/stripe-go/v76/client"
)

// WebhookEvents are the event types the webhook acts on; the endpoint subscribes to these only.
func WebhookEvents() []string {
	return []string{
		"checkout.session.completed",
		"customer.subscription.created", "customer.subscription.updated", "customer.subscription.deleted",
		"customer.subscription.paused", "customer.subscription.resumed",
		"customer.subscription.pending_update_applied", "customer.subscription.pending_update_expired",
		"invoice.paid", "invoice.payment_failed",
		"customer.deleted",
		"product.created", "product.updated", "product.deleted",
		"price.created", "price.updated", "price.deleted",
	}
}

// CreateWebhookEndpoint registers url with Stripe on stripe-go's API version (2023-10-16: the
// version can only be chosen through the API, not the Dashboard). Stripe returns the signing
// secret only in this response.
func CreateWebhookEndpoint(ctx context.Context, api *client.API, endpoint string) (id, secret string, err error) {
	u, err := url.Parse(endpoint)
	if err != nil || u.Scheme != "https" && u.Hostname() != "127.0.0.1" && u.Hostname() != "localhost" || u.Host == "" {
		return "", "", fmt.Errorf("billing: webhook URL %q must be https (or loopback)", endpoint)
	}
	p := &stripe.WebhookEndpointParams{
		URL:         stripe.String(endpoint),
		APIVersion:  stripe.String(stripe.APIVersion),
		Description: stripe.String("Octane Bridge edge"),
	}
	for _, e := range WebhookEvents() {
		p.EnabledEvents = append(p.EnabledEvents, stripe.String(e))
	}
	p.Context = ctx
	we, err := api.WebhookEndpoints.New(p)
	if err != nil {
		return "", "", fmt.Errorf("billing: create webhook endpoint: %w", err)
	}
	if we.APIVersion != stripe.APIVersion {
		return we.ID, we.Secret, fmt.Errorf("billing: endpoint %s has API version %q, want %q", we.ID, we.APIVersion, stripe.APIVersion)
	}
	return we.ID, we.Secret, nil
}

// RunStripeWebhookSetup is `edge stripe-webhook <url>`: it creates the endpoint and prints
// {"id","api_version","secret"}; put the secret in STRIPE_WEBHOOK_SECRET.
func RunStripeWebhookSetup(ctx context.Context, args []string, c CommandConfig, stdout io.Writer, log *slog.Logger) error {
	if len(args) != 1 {
		return errors.New("usage: edge stripe-webhook https://<edge host>/v1/stripe/webhook")
	}
	key := c.SecretKey
	if key == "" {
		return errors.New("stripe-webhook: STRIPE_SECRET_KEY is required")
	}
	api := NewStripeClient(key, c.APIBase, nil, log)
	id, secret, err := CreateWebhookEndpoint(ctx, api, args[0])
	if err != nil {
		return err
	}
	return json.NewEncoder(stdout).Encode(map[string]string{"id": id, "api_version": stripe.APIVersion, "secret": secret})
}
