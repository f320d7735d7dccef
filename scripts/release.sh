#!/usr/bin/env bash
# `make release`: builds the Blender add-on release and publishes it to S3 (the CDN serves it):
#   1. the bridge for every platform as a release build: scripts/build-bridge.sh with
#      BRIDGE_RELEASE=1, so BRIDGE_TRUSTED_KEYS must hold the production delivery public keys and
#      the committed development key is refused;
#   2. the add-on zips and Blender's extensions listing (scripts/build-addon.sh), laid out as the
#      bucket holds them, in $RELEASE_DIST (default dist/release):
#        addon/<version>/octane_bridge-<version>.zip              legacy add-on, every platform
#        addon/<version>/octane_bridge-<version>-<platform>.zip   Blender 4.2+ extension, one per platform
#        addon/index.json   extensions listing (API v1), archive_url "./<version>/<zip>"
#        addon/files.json   the site's Help page: {version, latest, zips} relative to addon/
#   3. uploads addon/ to s3://$S3_BUCKET/$RELEASE_PREFIX/ (default addon) with cmd/release-upload:
#      every object's SHA-256 checked by S3, a published version never overwritten, index.json last.
# --dry-run builds everything and prints the upload plan without contacting S3.
# S3 settings as for the publisher: S3_BUCKET, S3_REGION, S3_ENDPOINT (empty: AWS S3), S3_ACCESS_KEY
# and S3_SECRET_KEY (empty: the AWS credential chain). BRIDGE_PLATFORMS narrows the platforms.
# lib.sh fills in the local stack's S3 settings where they are unset; a release must use exactly what
# its caller set (an empty S3_ENDPOINT is AWS S3, empty keys the AWS credential chain).
caller_s3="$(for v in S3_ENDPOINT S3_REGION S3_ACCESS_KEY S3_SECRET_KEY S3_BUCKET; do printf '%s=%q\n' "$v" "${!v-}"; done)"
source "$(dirname "$0")/lib.sh"
eval "$caller_s3"
cd "$OCTANE_ROOT"
dry_run=""
for a in "$@"; do
  case "$a" in
    --dry-run) dry_run=-dry-run ;;
    *) die "usage: scripts/release.sh [--dry-run]" ;;
  esac
done
[ "${BRIDGE_RELEASE:-1}" = 1 ] || die "a release is always a release build (BRIDGE_RELEASE=1)"
[ -n "${BRIDGE_TRUSTED_KEYS:-}" ] || die "set BRIDGE_TRUSTED_KEYS to the production delivery public keys (MANIFEST_PUBLIC_KEYS of production; docs/deploy.md)"
[ -n "$S3_BUCKET" ] || die "set S3_BUCKET (and S3_REGION, or AWS_REGION) to the bucket behind the CDN"
version="$(sed -n 's/^version = "\(.*\)"/\1/p' blender_addon/blender_manifest.toml)"
[[ "$version" =~ ^[0-9]+\.[0-9]+\.[0-9]+$ ]] || die "blender_addon/blender_manifest.toml: version '$version' is not MAJOR.MINOR.PATCH"
dist="${RELEASE_DIST:-$OCTANE_ROOT/dist/release}"
rm -rf "$dist"
mkdir -p "$dist/bin" "$dist/addon/$version"

log "release $version: bridge (release build, every platform)"
BRIDGE_RELEASE=1 BRIDGE_OUT="$dist/bin" BRIDGE_VERSION="$version" scripts/build-bridge.sh

log "release $version: add-on zips and extensions listing"
ADDON_DIST="$dist/addon/$version" ADDON_URL_PREFIX="$version/" BRIDGE_BIN_DIR="$dist/bin" scripts/build-addon.sh
mv "$dist/addon/$version/index.json" "$dist/addon/index.json"
python3 - "$dist/addon" "$version" <<'PY'
import json, os, sys
root, version = sys.argv[1:3]
zips = sorted(f"{version}/{z}" for z in os.listdir(os.path.join(root, version)) if z.endswith(".zip"))
latest = f"{version}/octane_bridge-{version}.zip"
assert latest in zips, zips
with open(os.path.join(root, "files.json"), "w") as f:
    json.dump({"version": version, "latest": latest, "zips": zips}, f, indent=2)
    f.write("\n")
PY

log "release $version: ${dry_run:+(dry run) }upload to s3://${S3_BUCKET}/${RELEASE_PREFIX:-addon}/"
go run ./cmd/release-upload $dry_run -prefix "${RELEASE_PREFIX:-addon}" "$dist/addon"
[ -n "$dry_run" ] || go run ./cmd/release-upload -verify -prefix "${RELEASE_PREFIX:-addon}" "$dist/addon"
log "release $version ${dry_run:+built (dry run, nothing uploaded)}${dry_run:-published}: ${dist#$OCTANE_ROOT/}/addon"
