#!/usr/bin/env bash
# Stripe webhook throughput: signed customer.subscription.updated events through the edge's
# handler (signature, dedupe insert, re-fetch from an in-memory Stripe, lock, upsert; one
# PostgreSQL transaction each), sequentially on a clone of the template database.
source "$(dirname "$0")/../lib.sh"
cd "$OCTANE_ROOT"
out=$(GOFLAGS=-mod=mod go test -count=1 -run '^$' -bench '^BenchmarkWebhookEvents$' -benchtime "${WEBHOOK_BENCH_TIME:-5s}" \
  ./edge/internal/billing/ 2>&1) || { echo "$out" >&2; die "webhook bench failed"; }
rate=$(awk '/^BenchmarkWebhookEvents/ { for (i = 1; i < NF; i++) if ($(i+1) == "events/s") print $i }' <<<"$out" | tail -1)
[ -n "$rate" ] || { echo "$out" >&2; die "webhook bench printed no events/s"; }
echo "stripe webhook: $rate events/s (sequential, one transaction per event)"
bench_result edge_webhook_events_per_s "$rate" "events/s" null null
