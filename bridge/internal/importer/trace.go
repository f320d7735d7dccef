package importer

import (
	"context"
	"time"
)

// trace records when each step of one import happened, as Unix milliseconds on the wall clock:
// every process of the local stack (browser, edge, PostgreSQL, bridge, Blender) shares it on one
// machine, so the import benchmark (docs/latency.md) lines the bridge's steps up with theirs.
// It costs a few clock reads and one log line per import, so it is always on.
type trace struct {
	at      map[string]float64
	fetched map[string]int64 // bytes downloaded per object (base, textures); 0 for a cache hit
}

type traceKey struct{}

func withTrace(ctx context.Context, received time.Time) (context.Context, *trace) {
	t := &trace{at: map[string]float64{}, fetched: map[string]int64{}}
	if !received.IsZero() {
		t.at["received"] = unixMS(received)
	}
	return context.WithValue(ctx, traceKey{}, t), t
}

// mark records step at the current time (the first time only: a retried step keeps its start).
func mark(ctx context.Context, step string) {
	if t, ok := ctx.Value(traceKey{}).(*trace); ok {
		if _, seen := t.at[step]; !seen {
			t.at[step] = unixMS(time.Now())
		}
	}
}

// fetchedBytes records how many bytes of object were downloaded for this import.
func fetchedBytes(ctx context.Context, object string, n int64) {
	if t, ok := ctx.Value(traceKey{}).(*trace); ok {
		t.fetched[object] = n
	}
}

func unixMS(t time.Time) float64 { return float64(t.UnixMicro()) / 1000 }
