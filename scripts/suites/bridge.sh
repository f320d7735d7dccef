#!/usr/bin/env bash
# Bridge release checks (its Go tests run in the go suite): `make bridge` cross-compiles small
# static binaries for every platform, each pins the local delivery key, and the linux one runs.
source "$(dirname "$0")/../lib.sh"
cd "$OCTANE_ROOT"
passed=0 failed=0
check() { # check NAME COMMAND...
  if "${@:2}"; then passed=$((passed + 1)); else failed=$((failed + 1)); warn "bridge: FAILED $1"; fi
}
out="$OCTANE_LOCAL/bridge-bin"
rm -rf "$out"
log "bridge: cross-compiling"
check "cross-compile" env BRIDGE_OUT="$out" scripts/build-bridge.sh
for p in linux-amd64 linux-arm64 darwin-amd64 darwin-arm64 windows-amd64; do
  exe="$out/$p/octane-bridge"; [ "${p%%-*}" = windows ] && exe="$exe.exe"
  check "$p exists" test -s "$exe"
  # Shipped inside every add-on zip: keep them small (stripped, no cgo).
  check "$p under 16 MB" test "$(stat -c %s "$exe" 2>/dev/null || echo 999999999)" -lt $((16 << 20))
  check "$p pins the local key" grep -q "local-1:Xo13BA" "$exe"
done
native="$out/linux-$(go env GOARCH)/octane-bridge"
check "version runs" bash -c "'$native' version | grep -q 'trusted keys: local-1'"
check "unknown command fails" bash -c "! '$native' frobnicate 2>/dev/null"
# Exits by itself when the add-on closes stdin, after answering hello.
check "exits on stdin close" bash -c "echo '{\"v\":1,\"type\":\"status\",\"id\":\"a\"}' | OCTANE_BRIDGE_CACHE_DIR='$out/cache' timeout 10 '$native' | grep -q NOT_READY"
# Release builds (BRIDGE_RELEASE=1) refuse the committed development key, by kid or by key
# material, and need explicit keys; a binary linked as a release with that key refuses to run.
dev_keys="$(sed -n 's/^MANIFEST_PUBLIC_KEYS=//p' .env.example)"
prod_keys="prod-1:$(head -c 32 /dev/urandom | base64)"
rel="$OCTANE_LOCAL/bridge-bin-release"
rm -rf "$rel"
release_build() { # release_build KEYS ("" = BRIDGE_TRUSTED_KEYS unset)
  ( unset BRIDGE_TRUSTED_KEYS; if [ -n "$1" ]; then export BRIDGE_TRUSTED_KEYS="$1"; fi
    BRIDGE_RELEASE=1 BRIDGE_PLATFORMS="linux/$(go env GOARCH)" BRIDGE_OUT="$rel" scripts/build-bridge.sh >/dev/null 2>&1 )
}
refused() { ! release_build "$1"; }
release_runs() { release_build "$1" && "$rel/linux-$(go env GOARCH)/octane-bridge" version | grep -q 'trusted keys: prod-1'; }
dev_release_refuses() {
  go build -o "$rel/dev-release" -ldflags "-X main.release=1 -X main.trustedKeys=$dev_keys" ./bridge && ! "$rel/dev-release" version >/dev/null 2>&1
}
check "release build refuses the development key" refused "$dev_keys"
check "release build refuses the development key under another kid" refused "$prod_keys,prod-2:${dev_keys#*:}"
check "release build needs BRIDGE_TRUSTED_KEYS" refused ""
check "release build with production keys" release_runs "$prod_keys"
check "a release binary pinning the development key refuses to run" dev_release_refuses
# Threat 9: no secret that can mint anything in any built binary (local and release), scanned
# for every secret .env.example names (raw, hex and base64 forms of keyring keys, the dev seed's
# source text) and for linked signing code; the scanner must find a planted seed (it can fail),
# and the bridge's packages do not depend on the edge's minting packages.
for exe in "$out"/*/octane-bridge* "$rel/linux-$(go env GOARCH)/octane-bridge"; do
  check "no minting secret in ${exe#$OCTANE_LOCAL/}" python3 scripts/check-bridge-secrets.py .env.example "$exe"
done
planted="$out/planted.bin"
python3 -c 'import base64,sys; open(sys.argv[2],"wb").write(open(sys.argv[1],"rb").read()+base64.b64decode(sys.argv[3]))' \
  "$native" "$planted" "$(sed -n 's/^MANIFEST_SIGNING_KEYS=[^:]*://p' .env.example | cut -d, -f1)"
check "the secret scan finds a planted signing seed" bash -c "test -s '$planted' && ! python3 scripts/check-bridge-secrets.py .env.example '$planted' >/dev/null"
check "the bridge links no edge minting package" bash -c "deps=\$(go list -deps ./bridge) && grep -q '/bridge/internal/agent\$' <<<\"\$deps\" && ! grep -qE 'edge/internal/(token|auth|apikey)\$' <<<\"\$deps\""
report_suite bridge "$passed" "$failed" 0
echo "bridge: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
