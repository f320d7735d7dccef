// Command edge is the Octane Bridge edge service: import tokens and redemption, device pairing and
// API keys, Stripe billing, S3 presigning. `edge stripe-sync` backfills Stripe data, `edge version`
// prints the build's revision, `edge healthcheck` probes a running edge (for container runtimes).
package main

import (
	"context"
	"os"

	"github.com/octanebridge/octane-bridge/internal/cli"
)

func main() {
	cli.Run("edge", func(ctx context.Context) error { return run(ctx, os.Args, os.Getenv, os.Stdout) })
}
