//go:build unix

package main

import (
	"context"
	"log/slog"
	"os"
	"time"

	"github.com/octanebridge/octane-bridge/internal/periodic"
)

// watchParent ends the bridge when Blender dies without closing our stdin (a crash that leaves
// the pipe open in a grandchild): the parent pid changes when we are re-parented. cancel ends
// ctx, and with it the loop.
func watchParent(ctx context.Context, cancel context.CancelFunc, log *slog.Logger) {
	parent := os.Getppid()
	periodic.Run(ctx, 2*time.Second, nil, func() {
		if os.Getppid() != parent {
			log.Warn("parent process is gone; exiting")
			cancel()
		}
	})
}
