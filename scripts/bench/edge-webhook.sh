#!/usr/bin/env bash
# Stripe webhook throughput: signed customer.subscription.updated events through the edge's
# handler (signature, dedupe insert, re-fetch from an in-memory Stripe, lock, upsert; one
# PostgreSQL transaction each) on a clone of the template database, sequential and concurrent.
source "$(dirname "$0")/../lib.sh"
cd "$OCTANE_ROOT"
out=$(GOFLAGS=-mod=mod go test -count=1 -run '^$' -bench '^BenchmarkWebhookEvents(Parallel)?$' -benchtime "${WEBHOOK_BENCH_TIME:-5s}" \
  ./edge/internal/billing/ 2>&1) || { echo "$out" >&2; die "webhook bench failed"; }
rate() { awk -v name="$1" '$1 ~ "^"name"(-[0-9]+)?$" { for (i = 1; i < NF; i++) if ($(i+1) == "events/s") print $i }' <<<"$out" | tail -1; }
seq_rate=$(rate BenchmarkWebhookEvents) par_rate=$(rate BenchmarkWebhookEventsParallel)
[ -n "$seq_rate" ] && [ -n "$par_rate" ] || { echo "$out" >&2; die "webhook bench printed no events/s"; }
echo "stripe webhook: $seq_rate events/s sequential, $par_rate events/s with 4 concurrent senders per core"
bench_result edge_webhook_events_per_s "$seq_rate" "events/s" null null
bench_result edge_webhook_events_per_s_concurrent "$par_rate" "events/s" null null
