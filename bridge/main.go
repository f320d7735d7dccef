// Command octane-bridge runs inside the Blender add-on: it speaks newline-delimited JSON with the
// add-on on stdin/stdout (docs/bridge-protocol.md) and never listens on a socket.
package main

import (
	"context"
	"os"

	"github.com/octanebridge/octane-bridge/internal/cli"
)

func main() {
	cli.Run("octane-bridge", func(ctx context.Context) error {
		return run(ctx, os.Args[1:], os.Getenv, os.Stdin, os.Stdout, os.Stderr)
	})
}
