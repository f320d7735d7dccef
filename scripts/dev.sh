#!/usr/bin/env bash
# `make dev`: the whole product on this machine. Installs what is missing, starts PostgreSQL,
# S3, stripe-mock, the Supabase stand-in, the edge, the publish worker and the web app in the background, applies
# migrations and seed, publishes the demo catalog, and prints what runs where. `make stop` ends it.
source "$(dirname "$0")/lib.sh"
cd "$OCTANE_ROOT"

"$OCTANE_ROOT/scripts/setup.sh"

# Configuration: .env when present, else the local defaults.
set -a
# shellcheck disable=SC1091
source "$OCTANE_ROOT/.env.example"
[ -f "$OCTANE_ROOT/.env" ] && source "$OCTANE_ROOT/.env"
set +a

"$OCTANE_ROOT/scripts/services.sh" start pg s3 stripe
"$OCTANE_ROOT/scripts/db.sh" apply postgres

# start_bg NAME PORT STAMP CMD...: runs a program in the background unless its port is already
# served. STAMP names the build (a checksum); one make dev started from another build is restarted,
# so a second make dev after a change runs the new code.
start_bg() {
  local name="$1" port="$2" stamp="$3"; shift 3
  local stampf="$OCTANE_LOCAL/run/$name.stamp"
  if port_open "$port"; then
    if [ -f "$OCTANE_LOCAL/run/$name.pid" ] && [ "$(cat "$stampf" 2>/dev/null)" != "$stamp" ]; then
      log "$name changed since it started; restarting it"
      stop_pidfile "$name"
      for _ in $(seq 50); do port_open "$port" || break; sleep 0.2; done
    else
      log "$name already on 127.0.0.1:$port"; return 0
    fi
  fi
  # Its own session and process group, so `make stop` ends the children too (npm → next-server).
  nohup setsid "$@" >"$OCTANE_LOCAL/log/$name.log" 2>&1 &
  echo $! >"$OCTANE_LOCAL/run/$name.pid"
  echo "$stamp" >"$stampf"
  wait_port 127.0.0.1 "$port" 120 || { tail -20 "$OCTANE_LOCAL/log/$name.log" >&2; die "$name did not start (log: .local/log/$name.log)"; }
  log "$name on 127.0.0.1:$port"
}

if [ -f supabase/local/main.go ]; then
  go build -o "$OCTANE_LOCAL/bin/supabase-local" ./supabase/local
  start_bg standin 54321 "$(sha256sum <"$OCTANE_LOCAL/bin/supabase-local")" "$OCTANE_LOCAL/bin/supabase-local"
fi
if [ -f cmd/stripe-local/main.go ] && [[ "$STRIPE_API_BASE" == http://127.0.0.1:* ]]; then
  # The local Stripe (docs/billing.md "Local Stripe"): Checkout and the portal on its pages, webhooks
  # to the edge signed with STRIPE_WEBHOOK_SECRET; its account survives restarts in .local/stripe-local/.
  go build -o "$OCTANE_LOCAL/bin/stripe-local" ./cmd/stripe-local
  STRIPE_LOCAL_ADDR="${STRIPE_API_BASE#http://}" STRIPE_LOCAL_STATE="$OCTANE_LOCAL/stripe-local/state.json" \
    STRIPE_WEBHOOK_URL="$EDGE_URL/v1/stripe/webhook" \
    start_bg stripe-local "${STRIPE_API_BASE##*:}" "$(sha256sum <"$OCTANE_LOCAL/bin/stripe-local")" "$OCTANE_LOCAL/bin/stripe-local"
fi
if [ -f edge/main.go ]; then
  go build -o "$OCTANE_LOCAL/bin/edge" ./edge
  start_bg edge 8787 "$(sha256sum <"$OCTANE_LOCAL/bin/edge")" "$OCTANE_LOCAL/bin/edge"
fi
if [ -f cmd/publish/main.go ] && [ -d catalog/demo ]; then
  go build -o "$OCTANE_LOCAL/bin/publish" ./cmd/publish
  # The v2 packages' texture sets are generated, not committed (docs/packages.md "Demo catalog"):
  # the first start makes them (minutes), later ones find them; a byte of difference from the
  # committed manifests stops here.
  GOAMD64=v1 go build -o "$OCTANE_LOCAL/bin/texgen" ./cmd/texgen
  "$OCTANE_LOCAL/bin/texgen" sets catalog/demo | tail -1 || die "texgen sets failed (see above)"
  log "publishing the demo catalog"
  # The committed demo packages were vetted when generated (and by the packages suite), so skip
  # re-vetting 60+ .blend files in Blender on every start.
  if "$OCTANE_LOCAL/bin/publish" --no-vet --skip-existing --public-previews catalog/demo | tail -1; then
    # The seed's placeholders only stand in until the real catalog is there.
    psql -X -q -h 127.0.0.1 -p "$PG_PORT" -U postgres -d postgres \
      -c "update public.shaders set published = false where slug like 'placeholder-%' and published"
  else
    warn "publishing the demo catalog failed (see above); a package changed by hand under a published version is refused (make catalog bumps versions; make db-reset starts the local database afresh)"
  fi
  # The publish worker runs the jobs of the operator's page /operator/publish (docs/packages.md);
  # restarted every time, so it always runs this build.
  stop_pidfile publish-worker
  nohup setsid "$OCTANE_LOCAL/bin/publish" worker >"$OCTANE_LOCAL/log/publish-worker.log" 2>&1 &
  echo $! >"$OCTANE_LOCAL/run/publish-worker.pid"
  log "publish worker running (log: .local/log/publish-worker.log)"
fi
if [ -f bridge/main.go ] && [ -d blender_addon ]; then
  # The add-on (with the bridge for every platform, delivery key of this stack pinned) is what
  # the Help page offers and what the site's Blender extensions repository lists.
  # Linking the bridge for 5 platforms takes ~12 s that Go's cache does not save, so it is skipped
  # while its inputs (Go and add-on sources, schemas/, modules, pinned keys, build scripts) are unchanged.
  addon_stamp=$( (find bridge internal blender_addon schemas -type f ! -path 'bridge/bin/*' ! -path '*/__pycache__/*' -print0
    printf '%s\0' go.mod go.sum .env.example scripts/build-bridge.sh scripts/build-addon.sh) | sort -z \
    | xargs -0 sha256sum | { cat; echo "${BRIDGE_TRUSTED_KEYS:-}"; } | sha256sum | cut -d' ' -f1)
  if [ -f dist/addon/index.json ] && [ "$(cat "$OCTANE_LOCAL/run/addon.stamp" 2>/dev/null)" = "$addon_stamp" ]; then
    log "Blender add-on up to date"
  else
    log "building the Blender add-on"
    if "$OCTANE_ROOT/scripts/build-bridge.sh" >/dev/null && "$OCTANE_ROOT/scripts/build-addon.sh" >/dev/null; then
      echo "$addon_stamp" >"$OCTANE_LOCAL/run/addon.stamp"
    else
      warn "building the add-on failed; run make addon to see why"
    fi
  fi
  [ -f frontend/scripts/sync-addon.mjs ] && node frontend/scripts/sync-addon.mjs >/dev/null
fi
if [ -f frontend/package.json ]; then
  if [ ! -f frontend/.next/BUILD_ID ] || [ -n "$(find frontend -path frontend/node_modules -prune -o -path frontend/.next -prune -o -path frontend/public/addon -prune -o -newer frontend/.next/BUILD_ID -type f -print -quit)" ]; then
    log "building the web app"
    npm run build -w frontend --silent
  fi
  start_bg frontend 3000 "$(cat frontend/.next/BUILD_ID)" npm run start -w frontend -- -H 127.0.0.1 -p 3000
fi

cat <<MSG

Octane Bridge runs locally:
  web app            $SITE_URL            (pro@octane.local / octane-demo-pro, free@octane.local / octane-demo-free, operator@octane.local / octane-demo-operator)
  edge API           $EDGE_URL
  Supabase stand-in  $SUPABASE_URL
  PostgreSQL         $DATABASE_URL
  S3 (versitygw)     $S3_ENDPOINT  bucket $S3_BUCKET
  local Stripe       $STRIPE_API_BASE  (Checkout and billing portal pages; stripe-mock for fixture tests on :12111)
  Blender add-on     $SITE_URL/help  (zips in dist/addon/; extensions repository $SITE_URL/addon/index.json)
Logs in .local/log/.  Stop everything with: make stop

Paying locally (Account → Subscribe opens the local Stripe's Checkout; no real card is charged).
Any future expiry (e.g. 12/34) and any CVC:
  4242 4242 4242 4242   pays: Pro unlocks on every open page within a second
  4000 0000 0000 0341   is saved, then declined (and every renewal fails: past_due)
  4000 0027 6000 3184   asks for authentication: Complete pays, Fail declines
  4000 0000 0000 0002   is declined
"Manage billing" opens the local portal: switch monthly/yearly, cancel at period end or now,
update the card, and "end the current period now" to try a renewal.
MSG
