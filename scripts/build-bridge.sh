#!/usr/bin/env bash
# Cross-compiles the bridge into bridge/bin/<goos>-<goarch>/octane-bridge[.exe]: small static
# binaries (CGO off, -trimpath, stripped). The trusted delivery keys are pinned at build time:
# BRIDGE_TRUSTED_KEYS (release: the production public keys) or, for local builds, the local
# stack's MANIFEST_PUBLIC_KEYS from .env.example. BRIDGE_PLATFORMS narrows the platform list.
source "$(dirname "$0")/lib.sh"
cd "$OCTANE_ROOT"
keys="${BRIDGE_TRUSTED_KEYS:-$(sed -n 's/^MANIFEST_PUBLIC_KEYS=//p' .env.example)}"
[ -n "$keys" ] || die "no trusted keys: set BRIDGE_TRUSTED_KEYS"
version="${BRIDGE_VERSION:-$(sed -n 's/^version = "\(.*\)"/\1/p' blender_addon/blender_manifest.toml)}"
platforms="${BRIDGE_PLATFORMS:-linux/amd64 linux/arm64 darwin/amd64 darwin/arm64 windows/amd64}"
out="${BRIDGE_OUT:-$OCTANE_ROOT/bridge/bin}"
for p in $platforms; do
  goos=${p%/*} goarch=${p#*/}
  exe=octane-bridge; [ "$goos" = windows ] && exe=octane-bridge.exe
  mkdir -p "$out/$goos-$goarch"
  CGO_ENABLED=0 GOOS=$goos GOARCH=$goarch go build -trimpath \
    -ldflags "-s -w -X main.version=$version -X main.trustedKeys=$keys" \
    -o "$out/$goos-$goarch/$exe" ./bridge
  printf '  %-14s %6s KB\n' "$goos-$goarch" "$(( $(stat -c %s "$out/$goos-$goarch/$exe") / 1024 ))"
done
log "bridge $version built into ${out#$OCTANE_ROOT/}"
