#!/usr/bin/env bash
# make stripe-event: posts Stripe-signed fixture events (edge/testdata/stripe/*.json) to the local
# edge webhook, the way Stripe would (Stripe-Signature: t=<unix>,v1=<HMAC-SHA256 of "t.body">).
#
#   scripts/stripe-event.sh                 the default set, each with a fresh event id, then one
#                                           redelivery (answered "duplicate") and one forged
#                                           signature (answered 400)
#   scripts/stripe-event.sh FILE...         just these fixtures
#   STRIPE_EVENT_KEEP_ID=1 ...              keep the fixture's event id (to see deduplication)
#
# The edge re-fetches every object from its Stripe API (the local Stripe in make dev, which knows
# the seed's objects: sub_demo_pro resolves to the pro user, unknown ids are ignored). Product and
# price fixtures are not in the default set (against stripe-mock they would rename the demo
# product "T-shirt"); name them explicitly to send them. To pay for real, use Account → Subscribe.
source "$(dirname "$0")/lib.sh"
cd "$OCTANE_ROOT"
# envval NAME: the environment's value, else .env's, else .env.example's (as make dev reads them).
envval() {
  local v="${!1:-}"
  [ -n "$v" ] || [ ! -f .env ] || v=$(sed -n "s/^$1=//p" .env | tail -1)
  [ -n "$v" ] || v=$(sed -n "s/^$1=//p" .env.example | tail -1)
  printf '%s' "$v"
}
url="${STRIPE_WEBHOOK_URL:-$(envval EDGE_URL)/v1/stripe/webhook}"
secret=$(envval STRIPE_WEBHOOK_SECRET)
[ -n "$secret" ] || die "STRIPE_WEBHOOK_SECRET is not set"
case "$url" in http://127.0.0.1:*|http://localhost:*) ;; *) die "refusing to post to a non-local URL: $url" ;; esac

fixtures=("$@")
if [ ${#fixtures[@]} -eq 0 ]; then
  fixtures=(edge/testdata/stripe/{checkout.session.completed,customer.subscription.updated,invoice.paid,invoice.payment_failed,charge.succeeded}.json)
fi

# sign FILE [SECRET]: prints "<signature header>\n<body>" with a fresh id unless STRIPE_EVENT_KEEP_ID=1.
sign() {
  python3 - "$1" "$2" "${STRIPE_EVENT_KEEP_ID:-0}" <<'PY'
import hashlib, hmac, json, os, sys, time
path, secret, keep = sys.argv[1], sys.argv[2], sys.argv[3] == "1"
ev = json.load(open(path))
now = int(time.time())
if not keep:
    ev["id"] = "evt_local_%d_%s" % (now, os.urandom(4).hex())
ev["created"] = now
body = json.dumps(ev, separators=(",", ":"))
sig = hmac.new(secret.encode(), ("%d.%s" % (now, body)).encode(), hashlib.sha256).hexdigest()
print("t=%d,v1=%s" % (now, sig))
print(body)
PY
}

post() { # post HEADER BODY LABEL
  local code
  code=$(curl -sS -o "$OCTANE_LOCAL/run/stripe-event.out" -w '%{http_code}' -X POST "$url" \
    -H 'Content-Type: application/json' -H "Stripe-Signature: $1" --data-binary "$2") || die "cannot reach $url (is the edge running? make dev)"
  printf '%-34s %s %s\n' "$3" "$code" "$(head -c 200 "$OCTANE_LOCAL/run/stripe-event.out")"
}

last_header="" last_body=""
for f in "${fixtures[@]}"; do
  [ -f "$f" ] || die "no such fixture: $f"
  { read -r header; read -r body; } < <(sign "$f" "$secret")
  post "$header" "$body" "$(basename "$f" .json)"
  last_header=$header last_body=$body
done
if [ $# -eq 0 ]; then
  post "$last_header" "$last_body" "(the same event again)"
  { read -r header; read -r body; } < <(sign "${fixtures[0]}" "whsec_not_the_secret")
  post "$header" "$body" "(forged signature)"
fi
