// Command octane-bridge runs inside the Blender add-on: it speaks newline-delimited JSON with the
// add-on on stdin/stdout (docs/bridge-protocol.md) and never listens on a socket.
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
	if err := run(ctx, os.Args[1:], os.Getenv, os.Stdin, os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "octane-bridge:", err)
		os.Exit(1)
	}
}
