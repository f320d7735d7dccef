#!/usr/bin/env bash
# Cross-compiles the bridge into bridge/bin/<goos>-<goarch>/octane-bridge[.exe]: small static
# binaries (CGO off, -trimpath, stripped). The trusted delivery keys are pinned at build time:
# BRIDGE_TRUSTED_KEYS (release: the production public keys) or, for local builds, the local
# stack's MANIFEST_PUBLIC_KEYS from .env.example. BRIDGE_PLATFORMS narrows the platform list.
# BRIDGE_RELEASE=1 is a release build: BRIDGE_TRUSTED_KEYS is required and may not contain the
# committed development key (its private half is in the repository); the binary checks it again.
source "$(dirname "$0")/lib.sh"
cd "$OCTANE_ROOT"
dev_keys="$(sed -n 's/^MANIFEST_PUBLIC_KEYS=//p' .env.example)"
release_flag=""
if [ "${BRIDGE_RELEASE:-}" = 1 ]; then
  [ -n "${BRIDGE_TRUSTED_KEYS:-}" ] || die "release build: set BRIDGE_TRUSTED_KEYS to the production delivery public keys"
  IFS=, read -ra pinned <<<"$BRIDGE_TRUSTED_KEYS"
  IFS=, read -ra devs <<<"$dev_keys"
  for k in "${pinned[@]}"; do
    for d in "${devs[@]}"; do
      # the same key material under any kid, or the development kid itself
      if [ "${k#*:}" = "${d#*:}" ] || [ "${k%%:*}" = "${d%%:*}" ]; then
        die "release build: BRIDGE_TRUSTED_KEYS contains the development key (${k%%:*}); use the production keys"
      fi
    done
  done
  release_flag="-X main.release=1"
fi
keys="${BRIDGE_TRUSTED_KEYS:-$dev_keys}"
[ -n "$keys" ] || die "no trusted keys: set BRIDGE_TRUSTED_KEYS"
version="${BRIDGE_VERSION:-$(sed -n 's/^version = "\(.*\)"/\1/p' blender_addon/blender_manifest.toml)}"
platforms="${BRIDGE_PLATFORMS:-linux/amd64 linux/arm64 darwin/amd64 darwin/arm64 windows/amd64}"
out="${BRIDGE_OUT:-$OCTANE_ROOT/bridge/bin}"
for p in $platforms; do
  goos=${p%/*} goarch=${p#*/}
  exe=octane-bridge; [ "$goos" = windows ] && exe=octane-bridge.exe
  mkdir -p "$out/$goos-$goarch"
  CGO_ENABLED=0 GOOS=$goos GOARCH=$goarch go build -trimpath \
    -ldflags "-s -w -X main.version=$version -X main.trustedKeys=$keys $release_flag" \
    -o "$out/$goos-$goarch/$exe" ./bridge
  printf '  %-14s %6s KB\n' "$goos-$goarch" "$(( $(stat -c %s "$out/$goos-$goarch/$exe") / 1024 ))"
done
log "bridge $version built into ${out#$OCTANE_ROOT/}"
