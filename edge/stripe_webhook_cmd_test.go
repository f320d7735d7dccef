package main

import (
	"bytes"
	"context"
	"encoding/json"
	"testing"

	"github.com/octanebridge/octane-bridge/internal/testenv"
)

// `edge stripe-webhook <url>` is the command docs/deploy.md gives for the webhook endpoint: it
// creates it on API version 2023-10-16 (stripe-mock checks the parameters against Stripe's spec)
// and prints the signing secret once.
func TestStripeWebhookCommand(t *testing.T) {
	base := testenv.StripeBase(t)
	env := map[string]string{"STRIPE_SECRET_KEY": "sk_test_123", "STRIPE_API_BASE": base}
	var out bytes.Buffer
	if err := run(context.Background(), []string{"edge", "stripe-webhook", "https://edge.example.com/v1/stripe/webhook"}, func(k string) string { return env[k] }, &out); err != nil {
		t.Fatal(err)
	}
	var got map[string]string
	if err := json.Unmarshal(out.Bytes(), &got); err != nil {
		t.Fatalf("%v: %s", err, out.String())
	}
	_, hasSecret := got["secret"] // stripe-mock's fixture leaves it empty; Stripe fills it
	if got["api_version"] != "2023-10-16" || got["id"] == "" || !hasSecret {
		t.Fatalf("output = %s", out.String())
	}
	if err := run(context.Background(), []string{"edge", "stripe-webhook"}, func(k string) string { return env[k] }, &out); err == nil {
		t.Fatal("no URL accepted")
	}
}
