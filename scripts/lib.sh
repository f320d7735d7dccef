# Shared helpers for the project's scripts. Source it; it sets the project's paths and env.
# shellcheck shell=bash
set -euo pipefail

OCTANE_ROOT="${OCTANE_ROOT:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)}"
OCTANE_LOCAL="$OCTANE_ROOT/.local"
export OCTANE_ROOT OCTANE_LOCAL
export PATH="$OCTANE_LOCAL/bin:/usr/local/go/bin:$PATH"
export GOFLAGS="${GOFLAGS:--mod=mod}"
mkdir -p "$OCTANE_LOCAL/bin" "$OCTANE_LOCAL/log" "$OCTANE_LOCAL/run" "$OCTANE_LOCAL/reports/suites"

PG_BIN="${PG_BIN:-/usr/lib/postgresql/15/bin}"
PG_PORT="${PG_PORT:-54322}"
PG_DATA="$OCTANE_LOCAL/pg/data"
export OCTANE_PG_URL="postgres://postgres:postgres@127.0.0.1:$PG_PORT/postgres?sslmode=disable"
export OCTANE_PG_TEMPLATE="octane_template"

# Local-stack defaults (the same names production uses; see .env.example).
export SUPABASE_JWT_SECRET="${SUPABASE_JWT_SECRET:-super-secret-jwt-token-with-at-least-32-characters-long}"
export S3_ENDPOINT="${S3_ENDPOINT:-http://127.0.0.1:9000}"
export S3_REGION="${S3_REGION:-us-east-1}"
export S3_ACCESS_KEY="${S3_ACCESS_KEY:-octanelocal}"
export S3_SECRET_KEY="${S3_SECRET_KEY:-octanelocalsecret}"
export S3_BUCKET="${S3_BUCKET:-octane-packages}"
export STRIPE_API_BASE="${STRIPE_API_BASE:-http://127.0.0.1:12111}"
export STRIPE_SECRET_KEY="${STRIPE_SECRET_KEY:-sk_test_123}"

log() { printf '\033[1;34m==>\033[0m %s\n' "$*" >&2; }
warn() { printf '\033[1;33mwarning:\033[0m %s\n' "$*" >&2; }
die() { printf '\033[1;31merror:\033[0m %s\n' "$*" >&2; exit 1; }

is_root() { [ "$(id -u)" -eq 0 ]; }

# Runs a command as the postgres OS user when we are root (initdb refuses root), else as us.
as_pg() {
  if is_root; then runuser -u postgres -- "$@"; else "$@"; fi
}

# ensure_apt PKG...: installs missing Debian packages, or prints the command when not root.
ensure_apt() {
  local missing=()
  for p in "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  if ! is_root; then
    die "missing Debian packages: ${missing[*]}
run:  sudo apt-get update && sudo apt-get install -y ${missing[*]}"
  fi
  log "installing ${missing[*]}"
  if [ ! -f "$OCTANE_LOCAL/run/apt-updated" ]; then
    apt-get update -qq && touch "$OCTANE_LOCAL/run/apt-updated"
  fi
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

# ensure_go_tool NAME MODULE@VERSION: a pinned Go tool in .local/bin.
ensure_go_tool() {
  local name="$1" mod="$2" stamp="$OCTANE_LOCAL/bin/.$1.version"
  if [ -x "$OCTANE_LOCAL/bin/$name" ] && [ "$(cat "$stamp" 2>/dev/null)" = "$mod" ]; then return 0; fi
  log "go install $mod"
  GOFLAGS= GOBIN="$OCTANE_LOCAL/bin" go install "$mod"
  echo "$mod" >"$stamp"
}

# ensure_npm: node_modules matching package-lock.json.
ensure_npm() {
  local stamp="$OCTANE_ROOT/node_modules/.octane-lock-hash" want
  [ -f "$OCTANE_ROOT/package-lock.json" ] || return 0
  want="$(sha256sum "$OCTANE_ROOT/package-lock.json" | cut -d' ' -f1)"
  if [ "$(cat "$stamp" 2>/dev/null)" = "$want" ]; then return 0; fi
  log "npm ci"
  (cd "$OCTANE_ROOT" && npm ci --no-audit --no-fund --loglevel=error)
  echo "$want" >"$stamp"
}

# ensure_pip PKG==VER...: Python packages for the project's tests.
ensure_pip() {
  local missing=()
  for spec in "$@"; do
    python3 -c "import importlib.metadata as m,sys; sys.exit(0 if m.version('${spec%%==*}')=='${spec##*==}' else 1)" 2>/dev/null \
      || missing+=("$spec")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  log "pip install ${missing[*]}"
  python3 -m pip install -q --disable-pip-version-check "${missing[@]}"
}

# ensure_bpy: the bpy releases from PyPI the headless add-on tests run in besides Debian's Blender
# 3.4 (bpy needs exactly the Python of its Blender, 3.11 for 4.2 to 5.0): the 4.2 LTS and the
# newest 5.x, each in its own venv under .local (a ~300 MB wheel: installed once, kept). Exports
# OCTANE_BPY42_PYTHON and OCTANE_BPY_PYTHON for the tests; a release that cannot be installed is
# left unset (its tests fail with CI=true, skip otherwise).
BPY_RELEASES=("bpy42-venv:4.2.23:OCTANE_BPY42_PYTHON" "bpy-venv:5.0.1:OCTANE_BPY_PYTHON")
ensure_bpy() {
  [ "$(python3 -c 'import sys; print(sys.version_info[:2] == (3, 11))')" = True ] || { warn "bpy from PyPI needs Python 3.11"; return 0; }
  local entry venv version var
  for entry in "${BPY_RELEASES[@]}"; do
    IFS=: read -r venv version var <<<"$entry"
    venv="$OCTANE_LOCAL/$venv"
    if [ "$("$venv/bin/python" -c 'import importlib.metadata as m; print(m.version("bpy"))' 2>/dev/null)" != "$version" ]; then
      log "installing bpy $version from PyPI into ${venv#$OCTANE_ROOT/}"
      ensure_apt python3-venv
      { python3 -m venv "$venv" && "$venv/bin/python" -m pip install -q --disable-pip-version-check "bpy==$version"; } \
        || { warn "bpy $version could not be installed"; continue; }
    fi
    export "$var=$venv/bin/python"
  done
}

# wait_port HOST PORT SECONDS: waits until something accepts connections.
wait_port() {
  local host="$1" port="$2" secs="${3:-30}" i
  for ((i = 0; i < secs * 10; i++)); do
    (exec 3<>"/dev/tcp/$host/$port") 2>/dev/null && return 0
    sleep 0.1
  done
  return 1
}

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# use_services NAME...: starts those of the backing services (pg, s3, stripe) that are not
# running yet and stops exactly those again when the script exits; STARTED_SERVICES lists them.
use_services() {
  STARTED_SERVICES=()
  local s
  for s in "$@"; do
    port_open "$(service_port "$s")" || STARTED_SERVICES+=("$s")
  done
  trap stop_started_services EXIT
  [ ${#STARTED_SERVICES[@]} -eq 0 ] || "$OCTANE_ROOT/scripts/services.sh" start "${STARTED_SERVICES[@]}"
}

service_port() { case "$1" in pg) echo "$PG_PORT" ;; s3) echo 9000 ;; stripe) echo 12111 ;; *) die "unknown service $1" ;; esac; }

stop_started_services() {
  local s
  for s in "${STARTED_SERVICES[@]}"; do
    case "$s" in
      pg) as_pg "$PG_BIN/pg_ctl" -D "$PG_DATA" -m fast stop >/dev/null 2>&1 || true ;;
      s3) kill "$(cat "$OCTANE_LOCAL/run/versitygw.pid" 2>/dev/null)" 2>/dev/null || true ;;
      stripe) kill "$(cat "$OCTANE_LOCAL/run/stripe-mock.pid" 2>/dev/null)" 2>/dev/null || true ;;
    esac
  done
}

# start_standin NAME: builds the Supabase stand-in and runs it on a free loopback port over a
# fresh clone of the template database, logging to .local/log/NAME.log; both go when the script
# exits. Exports STANDIN_URL, DATABASE_URL and the keys (.env.example's unless already set).
start_standin() {
  local name="$1" bin="$OCTANE_LOCAL/bin/supabase-standin" port
  go build -o "$bin" ./supabase/local
  _standin_db="${name//-/_}_$$" _standin_pid=""
  _standin_psql -c "create database $_standin_db template $OCTANE_PG_TEMPLATE"
  trap stop_standin EXIT
  port="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()')"
  export SUPABASE_ANON_KEY="${SUPABASE_ANON_KEY:-$(env_example SUPABASE_ANON_KEY)}"
  export SUPABASE_SERVICE_ROLE_KEY="${SUPABASE_SERVICE_ROLE_KEY:-$(env_example SUPABASE_SERVICE_ROLE_KEY)}"
  export DATABASE_URL="postgres://postgres:postgres@127.0.0.1:$PG_PORT/$_standin_db?sslmode=disable"
  export STANDIN_URL="http://127.0.0.1:$port"
  LOG_LEVEL=warn "$bin" -addr "127.0.0.1:$port" >"$OCTANE_LOCAL/log/$name.log" 2>&1 &
  _standin_pid=$!
  wait_port 127.0.0.1 "$port" 20 || { tail -20 "$OCTANE_LOCAL/log/$name.log"; die "stand-in did not start"; }
}

stop_standin() {
  if [ -n "$_standin_pid" ]; then kill "$_standin_pid" 2>/dev/null || true; wait "$_standin_pid" 2>/dev/null || true; fi
  _standin_psql -c "drop database if exists $_standin_db with (force)" >/dev/null || true
}

_standin_psql() { psql -X -q -h 127.0.0.1 -p "$PG_PORT" -U postgres -d postgres "$@"; }

# env_example NAME: the value .env.example gives NAME (the local stack's development value).
env_example() { grep -E "^$1=" "$OCTANE_ROOT/.env.example" | head -1 | cut -d= -f2-; }

# report_suite NAME PASSED FAILED SKIPPED: records a suite's counts for the summary.
report_suite() {
  printf '{"name":"%s","passed":%d,"failed":%d,"skipped":%d}\n' "$1" "$2" "$3" "$4" \
    >"$OCTANE_LOCAL/reports/suites/$1.json"
}

# bench_result NAME VALUE UNIT TARGET BASELINE: appends one benchmark result (null for none).
bench_result() {
  printf '{"name":"%s","value":%s,"unit":"%s","target":%s,"baseline":%s}\n' "$1" "$2" "$3" "${4:-null}" "${5:-null}" \
    >>"$OCTANE_LOCAL/reports/bench.jsonl"
}

# bench_db NAME: a scratch clone of the template database for a benchmark, dropped when the script
# exits; sets bench_url to it (pg_url is the cluster's).
bench_db() {
  pg_url=${OCTANE_PG_URL:-postgres://postgres:postgres@127.0.0.1:$PG_PORT/postgres?sslmode=disable}
  _bench_db="$1_$$"
  bench_url=$(python3 -c 'import sys,urllib.parse as u; p=u.urlsplit(sys.argv[1]); print(u.urlunsplit(p._replace(path="/"+sys.argv[2])))' "$pg_url" "$_bench_db")
  trap 'psql "$pg_url" -qc "drop database if exists $_bench_db with (force)" >/dev/null 2>&1 || true' EXIT
  psql "$pg_url" -v ON_ERROR_STOP=1 -qc "create database $_bench_db template ${OCTANE_PG_TEMPLATE:-octane_template}" >/dev/null
}

# stop_pidfile NAME: stops a program started in the background (its whole process group when it
# leads one: make dev starts them with setsid) and waits for it to go.
stop_pidfile() {
  local f="$OCTANE_LOCAL/run/$1.pid"
  [ -f "$f" ] || return 0
  local pid; pid="$(cat "$f")"
  kill -- "-$pid" 2>/dev/null || kill "$pid" 2>/dev/null || true
  for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
  rm -f "$f"
}
