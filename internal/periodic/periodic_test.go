package periodic

import (
	"context"
	"testing"
	"time"
)

// run starts Run with f reporting each call on calls; the returned channel closes when Run returns.
func run(ctx context.Context, every time.Duration, poke <-chan struct{}, calls chan<- struct{}) <-chan struct{} {
	done := make(chan struct{})
	go func() {
		Run(ctx, every, poke, func() { calls <- struct{}{} })
		close(done)
	}()
	return done
}

// f runs on every tick, and Run returns once its context ends (a hang here fails by timeout).
func TestRunTicksUntilTheContextEnds(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	calls := make(chan struct{})
	done := run(ctx, time.Millisecond, nil, calls)
	for range 3 {
		<-calls
	}
	cancel()
	for {
		select {
		case <-calls: // a tick that raced the cancel
		case <-done:
			return
		}
	}
}

// A poke calls f at once: under an hour-long interval only the poke can have.
func TestRunAnswersAPoke(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	poke := make(chan struct{})
	calls := make(chan struct{})
	done := run(ctx, time.Hour, poke, calls)
	poke <- struct{}{}
	<-calls
	cancel()
	<-done
}

// Poke never blocks: a poke already waiting is enough, so a full channel (or none) drops the new
// one (a blocking Poke hangs here and fails by timeout).
func TestPokeNeverBlocks(t *testing.T) {
	poke := make(chan struct{}, 1)
	Poke(poke)
	Poke(poke)
	Poke(nil)
	if len(poke) != 1 {
		t.Fatalf("%d pokes waiting, want 1", len(poke))
	}
}
