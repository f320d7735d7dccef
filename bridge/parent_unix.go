//go:build unix

package main

import (
	"context"
	"log/slog"
	"os"
	"time"
)

// watchParent ends the bridge when Blender dies without closing our stdin (a crash that leaves
// the pipe open in a grandchild): the parent pid changes when we are re-parented.
func watchParent(ctx context.Context, cancel context.CancelFunc, log *slog.Logger) {
	parent := os.Getppid()
	t := time.NewTicker(2 * time.Second)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if os.Getppid() != parent {
				log.Warn("parent process is gone; exiting")
				cancel()
				return
			}
		}
	}
}
