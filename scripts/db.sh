#!/usr/bin/env bash
# Applies the local shims, the migrations and the seed to a database of the project's cluster.
#   db.sh apply DB      pending work in ONE transaction: a failure leaves the database as it was
#   db.sh template      rebuilds the test template (octane_template) from scratch
#   db.sh reset DB      drops and recreates DB, then applies everything
# Migrations are recorded in supabase_migrations.schema_migrations, as the Supabase CLI does.
source "$(dirname "$0")/lib.sh"

export PGOPTIONS="-c client_min_messages=warning"
PSQL=(psql -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$PG_PORT" -U postgres)

db_exists() { [ "$("${PSQL[@]}" -d postgres -tAc "select 1 from pg_database where datname = '$1'")" = "1" ]; }

apply() {
  local db="$1" script="$OCTANE_LOCAL/run/apply-$1.sql" pending=0 fresh=0
  db_exists "$db" || "${PSQL[@]}" -d postgres -c "create database \"$db\""
  local applied
  applied="$("${PSQL[@]}" -d "$db" -tAc "select coalesce(string_agg(version, ' '), '') from supabase_migrations.schema_migrations" 2>/dev/null || true)"
  [ -z "$applied" ] && fresh=1
  {
    echo "begin;"
    echo "create schema if not exists supabase_migrations;"
    echo "create table if not exists supabase_migrations.schema_migrations (version text primary key, name text, applied_at timestamptz not null default now());"
    for f in "$OCTANE_ROOT"/supabase/local/sql/*.sql; do echo "\\ir $f"; done
    for f in "$OCTANE_ROOT"/supabase/migrations/*.sql; do
      local base version
      base="$(basename "$f" .sql)"; version="${base%%_*}"
      case " $applied " in *" $version "*) continue ;; esac
      echo "\\ir $f"
      echo "insert into supabase_migrations.schema_migrations (version, name) values ('$version', '${base#*_}');"
      pending=$((pending + 1))
    done
    if [ "$fresh" = 1 ]; then echo "\\ir $OCTANE_ROOT/supabase/seed.sql"; fi
    echo "commit;"
  } >"$script"
  if ! "${PSQL[@]}" -d "$db" -f "$script" >"$OCTANE_LOCAL/log/db-$db.log" 2>&1; then
    grep -E 'psql:|ERROR|DETAIL|HINT|LINE' "$OCTANE_LOCAL/log/db-$db.log" | head -20 >&2
    die "database '$db' unchanged: the step above failed (full log: .local/log/db-$db.log)"
  fi
  log "database $db: $pending migration(s) applied$([ "$fresh" = 1 ] && echo ', seed loaded')"
}

case "${1:-}" in
  apply) apply "${2:?database name}" ;;
  template)
    "${PSQL[@]}" -d postgres -c "drop database if exists octane_template_build" >/dev/null
    apply octane_template_build
    "${PSQL[@]}" -d postgres -c "drop database if exists $OCTANE_PG_TEMPLATE with (force)" >/dev/null
    "${PSQL[@]}" -d postgres -c "alter database octane_template_build rename to $OCTANE_PG_TEMPLATE" >/dev/null
    ;;
  reset)
    db="${2:?database name}"
    if [ "$db" = postgres ]; then
      "${PSQL[@]}" -d template1 -c "drop database if exists postgres with (force)" >/dev/null
      "${PSQL[@]}" -d template1 -c "create database postgres" >/dev/null
    else
      "${PSQL[@]}" -d postgres -c "drop database if exists \"$db\" with (force)" >/dev/null
    fi
    apply "$db"
    ;;
  *) die "usage: db.sh apply DB | template | reset DB" ;;
esac
