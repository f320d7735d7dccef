#!/usr/bin/env bash
# pgTAP: schema, RLS matrix, state machine and functions, run by pg_prove on a fresh database, with
# the arguments `supabase test db` gives it (--ext .pg --ext .sql -r supabase/tests).
source "$(dirname "$0")/../lib.sh"
cd "$OCTANE_ROOT"
db="pgtap_$$"
psql -X -q -h 127.0.0.1 -p "$PG_PORT" -U postgres -d postgres -c "create database $db template $OCTANE_PG_TEMPLATE"
trap 'psql -X -q -h 127.0.0.1 -p "$PG_PORT" -U postgres -d postgres -c "drop database if exists $db with (force)"' EXIT
psql -X -q -h 127.0.0.1 -p "$PG_PORT" -U postgres -d "$db" -c "create extension if not exists pgtap with schema extensions"
out="$OCTANE_LOCAL/reports/pgtap.tap"
status=0
PGOPTIONS="-c search_path=public,extensions" pg_prove --verbose --ext .pg --ext .sql -r -h 127.0.0.1 -p "$PG_PORT" -U postgres -d "$db" supabase/tests/ >"$out" 2>&1 || status=$?
passed=$(grep -cE '^\s*ok [0-9]+' "$out" || true)
failed=$(grep -cE '^\s*not ok [0-9]+' "$out" || true)
skipped=$(grep -cE '^\s*ok [0-9]+.*# SKIP' "$out" || true)
passed=$((passed - skipped))
grep -E 'not ok|Failed|Dubious|Parse errors|ERROR' "$out" | head -40 || true
if [ "$status" -ne 0 ] && [ "$failed" -eq 0 ]; then failed=1; tail -30 "$out"; fi
report_suite pgtap "$passed" "$failed" "$skipped"
echo "pgtap: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
