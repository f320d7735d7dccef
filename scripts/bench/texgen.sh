#!/usr/bin/env bash
# Texture generator benchmark: how long a machine with no texture sets takes to make all of the
# demo catalog's (texgen sets over a copy of catalog/demo's committed files, what the first
# make dev or CI run does), and the bytes made. No target: reported to watch CI's time.
source "$(dirname "$0")/../lib.sh"
cd "$OCTANE_ROOT"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
(cd catalog/demo && git ls-files -z | xargs -0 cp --parents -t "$work")
GOAMD64=v1 go build -o "$work/texgen" ./cmd/texgen
start=$(date +%s.%N)
line=$("$work/texgen" sets "$work" | tail -1)
end=$(date +%s.%N)
echo "$line"
seconds=$(python3 -c "print(round($end - $start, 1))")
mb=$(du -sm --apparent-size "$work/packages" | cut -f1)
bench_result texgen_catalog_sets_seconds "$seconds" s null null
bench_result texgen_catalog_sets_mb "$mb" MB null null
