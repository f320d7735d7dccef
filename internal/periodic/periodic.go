// Package periodic runs a function on a ticker until its context ends: the loop behind the local
// Stripe's clock, the Realtime stand-in's expiry sweep and the bridge's heartbeat, catch-up,
// account and parent-process watchers.
package periodic

import (
	"context"
	"time"
)

// Run calls f every interval, and at once whenever poke delivers (nil: never), until ctx ends.
// f runs on the caller's goroutine, so a slow f delays the next tick instead of overlapping it.
func Run(ctx context.Context, every time.Duration, poke <-chan struct{}, f func()) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		case <-poke:
		}
		f()
	}
}

// Poke asks the Run reading poke for a call now and returns at once: a call asked for and not yet
// made is enough, so a full (or nil) channel drops the poke.
func Poke(poke chan<- struct{}) {
	select {
	case poke <- struct{}{}:
	default:
	}
}
