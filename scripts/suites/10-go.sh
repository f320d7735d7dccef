#!/usr/bin/env bash
# Every Go test in the module, with the race detector, against the real local services.
source "$(dirname "$0")/../lib.sh"
cd "$OCTANE_ROOT"
out="$OCTANE_LOCAL/reports/go-test.json"
log "go vet ./..."
vet_failed=0
go vet ./... || vet_failed=1
log "go test -race ./..."
go test -race -count=1 -timeout 20m -json ./... >"$out" 2>"$OCTANE_LOCAL/reports/go-test.stderr" || true
read -r passed failed skipped < <(python3 "$OCTANE_ROOT/scripts/count_go_tests.py" <"$out" | tail -1)
failed=$((failed + vet_failed))
# Threat 39, dependency integrity: every module in the cache still has the hash go.sum pins.
log "go mod verify"
if go mod verify; then passed=$((passed + 1)); else failed=$((failed + 1)); fi
report_suite go "$passed" "$failed" "$skipped"
echo "go: $passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ]
