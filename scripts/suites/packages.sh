#!/usr/bin/env bash
# Shader packages: Blender-driven vetting of hostile .blend files, the Cycles fallback render,
# and the committed demo catalog checked against schemas/manifest.schema.json.
source "$(dirname "$0")/../lib.sh"
cd "$OCTANE_ROOT"
mkdir -p "$OCTANE_LOCAL/reports"
out="$OCTANE_LOCAL/reports/packages-go.json"

# v2 demo packages commit their base; the texture sets beside it are generated (GOAMD64=v1: the
# bytes the manifests list). Vetting lays the largest set out beside the .blend.
log "packages: the demo catalog's texture sets (cmd/texgen sets)"
GOAMD64=v1 go run ./cmd/texgen sets catalog/demo | tail -1 || log "packages: texgen sets failed; vetting the v2 demo packages will fail"

log "packages: Blender tests (go test -tags blender ./internal/shaderpkg/blendvet ./internal/publishing)"
go test -tags blender -count=1 -timeout 10m -json \
  -run 'TestVetRejectsHostileBlends|TestVetV2TexturePaths|TestFallbackRendersInCycles|TestDemoCatalogPassesVetting|TestWorkerPublishesAVettedPackage|TestWorkerPublishesAV2Bundle' \
  ./internal/shaderpkg/blendvet/ ./internal/publishing/ >"$out" 2>"$OCTANE_LOCAL/reports/packages-go.stderr" || true
read -r passed failed skipped < <(python3 "$OCTANE_ROOT/scripts/count_go_tests.py" <"$out" | tail -1)

log "packages: demo manifests against the JSON Schema"
if python3 catalog/check_manifests.py schemas/manifest.schema.json catalog/demo; then
  passed=$((passed + 1))
else
  failed=$((failed + 1))
fi

log "packages: catalog recipes and versions (python unittest)"
ut=$(cd catalog/blender && python3 -m unittest test_recipe test_versions 2>&1) || true
echo "$ut" | tail -3
ran=$(echo "$ut" | sed -n 's/^Ran \([0-9]*\) tests\{0,1\}.*/\1/p')
if echo "$ut" | grep -q '^OK'; then
  passed=$((passed + ${ran:-0}))
else
  failed=$((failed + ${ran:-1}))
fi

report_suite packages "$passed" "$failed" "$skipped"
echo "packages: $passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ]
