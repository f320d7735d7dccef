package billing

import (
	"fmt"
	"net/http"
	"sync/atomic"
	"testing"
	"time"
)

// BenchmarkWebhookEvents measures signed subscription events through the handler: signature
// check, dedupe insert, re-fetch (in-memory source), lock and upsert, one transaction each.
// `go test -bench WebhookEvents` reports events/s.
func BenchmarkWebhookEvents(b *testing.B) {
	h := benchHandler(b)
	payloads := make([][]byte, b.N)
	for i := range payloads {
		payloads[i] = eventJSON(fmt.Sprintf("evt_bench_%d_%d", time.Now().UnixNano(), i), "customer.subscription.updated",
			map[string]any{"id": fmt.Sprintf("sub_bench_%d", i%16), "object": "subscription"})
	}
	b.ResetTimer()
	start := time.Now()
	for i := 0; i < b.N; i++ {
		if r := deliver(h, payloads[i]); r.Status != 200 {
			b.Fatalf("= %d %s", r.Status, r.Body)
		}
	}
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "events/s")
}

// BenchmarkWebhookEventsParallel is the same with concurrent deliveries (as Stripe sends them),
// spread over 16 subscriptions so the per-subscription lock is contended now and then.
func BenchmarkWebhookEventsParallel(b *testing.B) {
	h := benchHandler(b)
	var seq atomic.Int64
	prefix := time.Now().UnixNano()
	b.SetParallelism(4)
	b.ResetTimer()
	start := time.Now()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			i := seq.Add(1)
			p := eventJSON(fmt.Sprintf("evt_pbench_%d_%d", prefix, i), "customer.subscription.updated",
				map[string]any{"id": fmt.Sprintf("sub_bench_%d", i%16), "object": "subscription"})
			if r := deliver(h, p); r.Status != 200 {
				b.Errorf("= %d %s", r.Status, r.Body)
				return
			}
		}
	})
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "events/s")
}

// benchHandler is the webhook handler over a fake Stripe holding 16 active subscriptions of one
// linked customer (sub_bench_0 to sub_bench_15).
func benchHandler(b *testing.B) http.Handler {
	fake, h, _ := newLinkedWebhook(b, "cus_bench")
	for i := range 16 {
		fake.setSub(Subscription{ID: fmt.Sprintf("sub_bench_%d", i), CustomerID: "cus_bench", Status: "active",
			PriceID: "price_pro_monthly", PeriodEnd: ts(time.Now().Add(time.Hour))})
	}
	return h
}
