// Command edge is the Octane Bridge edge service: import tokens and redemption, device pairing and
// API keys, Stripe billing, S3 presigning. `edge stripe-sync` backfills Stripe data, `edge version`
// prints the build's revision, `edge healthcheck` probes a running edge (for container runtimes).
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args, os.Getenv, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "edge:", err)
		os.Exit(1)
	}
}
