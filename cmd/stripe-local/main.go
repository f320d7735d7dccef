// Command stripe-local is the local stack's stateful Stripe (internal/stripelocal): the API the
// edge calls through stripe-go, the Checkout and Customer Portal pages, and signed webhook
// deliveries to the edge. `make dev` runs it on 127.0.0.1:12113; every test stack runs its own.
//
//	stripe-local [-addr 127.0.0.1:12113] [-url http://127.0.0.1:12113] [-state FILE]
//	             [-webhook-url http://127.0.0.1:8787/v1/stripe/webhook] [-retry-delays 1s,5s,...]
//
// The webhook's signing secret is STRIPE_WEBHOOK_SECRET (the edge's). docs/billing.md.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/octanebridge/octane-bridge/internal/cli"
	"github.com/octanebridge/octane-bridge/internal/stripelocal"
)

func main() {
	cli.Run("stripe-local", func(ctx context.Context) error { return run(ctx, os.Args[1:], os.Getenv, os.Stderr) })
}

func run(ctx context.Context, args []string, getenv func(string) string, stderr io.Writer) error {
	fl := flag.NewFlagSet("stripe-local", flag.ContinueOnError)
	fl.SetOutput(stderr)
	or := func(name, def string) string {
		if v := getenv(name); v != "" {
			return v
		}
		return def
	}
	addr := fl.String("addr", or("STRIPE_LOCAL_ADDR", "127.0.0.1:12113"), "listen address (loopback)")
	base := fl.String("url", getenv("STRIPE_LOCAL_URL"), "the address browsers use (default http://<addr>)")
	state := fl.String("state", getenv("STRIPE_LOCAL_STATE"), "keep the account in this JSON file (default: memory only)")
	hook := fl.String("webhook-url", getenv("STRIPE_WEBHOOK_URL"), "the webhook endpoint to deliver events to (the edge's /v1/stripe/webhook)")
	delays := fl.String("retry-delays", getenv("STRIPE_LOCAL_RETRY_DELAYS"), "waits between delivery attempts, comma separated (default 1s,5s,25s,2m,10m,1h)")
	clock := fl.Duration("clock", 30*time.Second, "how often ended billing periods are renewed (0: never)")
	noSeed := fl.Bool("no-seed", false, "start with an empty account instead of supabase/seed.sql's")
	if err := fl.Parse(args); err != nil {
		return err
	}
	host, _, err := net.SplitHostPort(*addr)
	if err != nil {
		return fmt.Errorf("-addr %q: %w", *addr, err)
	}
	if ip := net.ParseIP(host); host != "localhost" && (ip == nil || !ip.IsLoopback()) {
		return fmt.Errorf("-addr %q: the local Stripe listens on loopback only", *addr)
	}
	if *base == "" {
		*base = "http://" + *addr
	}
	var retry []time.Duration
	if *delays != "" {
		for _, d := range strings.Split(*delays, ",") {
			v, err := time.ParseDuration(strings.TrimSpace(d))
			if err != nil || v < 0 {
				return fmt.Errorf("-retry-delays: %q is not a duration", d)
			}
			retry = append(retry, v)
		}
	}
	log := slog.New(slog.NewTextHandler(stderr, nil))
	srv, err := stripelocal.New(stripelocal.Config{
		BaseURL: *base, StatePath: *state, WebhookURL: *hook, WebhookSecret: getenv("STRIPE_WEBHOOK_SECRET"),
		RetryDelays: retry, Seed: !*noSeed, Log: log,
	})
	if err != nil {
		return err
	}
	defer srv.Close()
	if *clock > 0 {
		go srv.RunClock(ctx, *clock)
	}
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return err
	}
	hs := &http.Server{Handler: srv.Handler(), ReadHeaderTimeout: 10 * time.Second}
	go func() {
		<-ctx.Done()
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		hs.Shutdown(sctx)
	}()
	log.Info("local Stripe listening", "url", *base, "webhook", *hook, "state", *state)
	if err := hs.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}
