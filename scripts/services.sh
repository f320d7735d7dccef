#!/usr/bin/env bash
# Starts and stops the local backing services: PostgreSQL 15 (own cluster under .local/pg),
# versitygw (S3) and stripe-mock (fixture tests). `stop` also ends what make dev started (the local
# Stripe among them). Every service listens on 127.0.0.1 only.
#   services.sh start [pg|s3|stripe]...   (default: all)   ·   services.sh stop   ·   services.sh status
source "$(dirname "$0")/lib.sh"

start_pg() {
  if [ ! -f "$PG_DATA/PG_VERSION" ]; then
    log "creating PostgreSQL cluster in .local/pg"
    mkdir -p "$OCTANE_LOCAL/pg/run" "$PG_DATA"
    is_root && chown -R postgres:postgres "$OCTANE_LOCAL/pg"
    as_pg "$PG_BIN/initdb" -D "$PG_DATA" -U postgres --auth=trust --encoding=UTF8 --locale=C.UTF-8 >/dev/null
    cat >>"$PG_DATA/postgresql.conf" <<CONF
# Octane Bridge local cluster
listen_addresses = '127.0.0.1'
port = $PG_PORT
unix_socket_directories = '$OCTANE_LOCAL/pg/run'
wal_level = logical
max_connections = 300
shared_buffers = 256MB
synchronous_commit = off
max_wal_senders = 10
max_replication_slots = 10
log_min_messages = warning
CONF
  fi
  if as_pg "$PG_BIN/pg_ctl" -D "$PG_DATA" status >/dev/null 2>&1; then return 0; fi
  port_open "$PG_PORT" && die "port $PG_PORT is taken by another program; stop it or set PG_PORT"
  # -p: postgresql.conf names the default port; PG_PORT moves the cluster, not just our checks.
  as_pg "$PG_BIN/pg_ctl" -D "$PG_DATA" -l "$OCTANE_LOCAL/pg/server.log" -o "-p $PG_PORT" -w -t 60 start >/dev/null \
    || { tail -20 "$OCTANE_LOCAL/pg/server.log" >&2; die "PostgreSQL did not start"; }
  psql -X -q -h 127.0.0.1 -p "$PG_PORT" -U postgres -d postgres -c "alter user postgres password 'postgres'" >/dev/null
  log "PostgreSQL 15 on 127.0.0.1:$PG_PORT"
}

start_s3() {
  port_open 9000 && { log "S3 (versitygw) already on 127.0.0.1:9000"; return 0; }
  mkdir -p "$OCTANE_LOCAL/s3/$S3_BUCKET"
  ROOT_ACCESS_KEY="$S3_ACCESS_KEY" ROOT_SECRET_KEY="$S3_SECRET_KEY" \
    nohup versitygw --port 127.0.0.1:9000 --region "$S3_REGION" posix "$OCTANE_LOCAL/s3" \
    >"$OCTANE_LOCAL/log/versitygw.log" 2>&1 &
  echo $! >"$OCTANE_LOCAL/run/versitygw.pid"
  wait_port 127.0.0.1 9000 30 || { tail -20 "$OCTANE_LOCAL/log/versitygw.log" >&2; die "versitygw did not start"; }
  log "S3 (versitygw) on 127.0.0.1:9000, bucket $S3_BUCKET"
}

start_stripe() {
  port_open 12111 && { log "stripe-mock already on 127.0.0.1:12111"; return 0; }
  nohup stripe-mock -http-addr 127.0.0.1:12111 -https-addr 127.0.0.1:12112 \
    >"$OCTANE_LOCAL/log/stripe-mock.log" 2>&1 &
  echo $! >"$OCTANE_LOCAL/run/stripe-mock.pid"
  wait_port 127.0.0.1 12111 30 || { tail -20 "$OCTANE_LOCAL/log/stripe-mock.log" >&2; die "stripe-mock did not start"; }
  log "stripe-mock on 127.0.0.1:12111"
}

case "${1:-start}" in
  start)
    shift || true
    [ $# -eq 0 ] && set -- pg s3 stripe
    for s in "$@"; do "start_$s"; done
    ;;
  stop)
    for p in frontend publish-worker edge stripe-local standin stripe-mock versitygw; do stop_pidfile "$p"; done
    if [ -f "$PG_DATA/PG_VERSION" ]; then as_pg "$PG_BIN/pg_ctl" -D "$PG_DATA" -m fast stop >/dev/null 2>&1 || true; fi
    log "stopped"
    ;;
  status)
    for p in "PostgreSQL:$PG_PORT" "S3:9000" "stripe-mock:12111" "local Stripe:12113" "stand-in:54321" "edge:8787" "web:3000"; do
      if port_open "${p##*:}"; then echo "up    ${p%%:*} 127.0.0.1:${p##*:}"; else echo "down  ${p%%:*}"; fi
    done
    ;;
  *) die "usage: services.sh start [pg|s3|stripe]... | stop | status" ;;
esac
