#!/usr/bin/env bash
# Builds the Blender add-on zips and the Blender extensions repository listing:
#   dist/addon/octane_bridge-<version>.zip              (every bridge binary there is; any platform,
#                                                        the legacy "Install add-on" download)
#   dist/addon/octane_bridge-<version>-<platform>.zip   (one per bridge/bin/<goos>-<goarch>/, as built
#                                                        by scripts/build-bridge.sh; BRIDGE_BIN_DIR overrides)
#   dist/addon/index.json                               (extensions repository, API v1)
# ADDON_URL_PREFIX (e.g. "0.1.0/") goes before each zip's name in the listing's relative
# archive_url, for a repository whose zips sit in a folder below index.json (scripts/release.sh).
# Each zip holds one top-level folder octane_bridge/, which both Blender 3.x/4.x "Install
# add-on" and 4.2+ extensions accept. Zips are reproducible (fixed timestamps, sorted entries).
source "$(dirname "$0")/lib.sh"
cd "$OCTANE_ROOT"
out="${ADDON_DIST:-$OCTANE_ROOT/dist/addon}"
mkdir -p "$out"
python3 - "$OCTANE_ROOT/blender_addon" "${BRIDGE_BIN_DIR:-$OCTANE_ROOT/bridge/bin}" "$out" "${ADDON_URL_PREFIX:-}" <<'PY'
import hashlib, json, os, re, stat, sys, zipfile

src, bin_root, out, url_prefix = sys.argv[1:5]
manifest_text = open(os.path.join(src, "blender_manifest.toml"), encoding="utf-8").read()

def field(name):
    m = re.search(rf'^{name}\s*=\s*"([^"]*)"', manifest_text, re.M)
    return m.group(1)

def list_field(name):
    m = re.search(rf'^{name}\s*=\s*\[([^\]]*)\]', manifest_text, re.M)
    return re.findall(r'"([^"]*)"', m.group(1)) if m else []

version = field("version")
# Go os-arch (bridge builds) -> Blender extension platform names.
PLATFORMS = {"linux-amd64": "linux-x64", "linux-arm64": "linux-arm64", "darwin-amd64": "macos-x64",
             "darwin-arm64": "macos-arm64", "windows-amd64": "windows-x64", "windows-arm64": "windows-arm64"}

def addon_files():
    for root, dirs, files in os.walk(src):
        rel_root = os.path.relpath(root, src)
        dirs[:] = sorted(d for d in dirs if d not in ("tests", "__pycache__", "bin") and not d.startswith("."))
        if rel_root == "core":  # the failure vocabulary every program shares (core/codes.py reads it)
            files = [*files, "codes.json"]
        for f in sorted(files):
            if f.endswith((".pyc", ".pyo")) or f.startswith("."):
                continue
            rel = os.path.normpath(os.path.join(rel_root, f)).replace(os.sep, "/")
            full = os.path.join(root, f)
            if rel == "core/codes.json":
                full = os.path.join(src, "..", "schemas", "codes.json")
            yield full, rel

def write(zf, arc, data, mode=0o644):
    info = zipfile.ZipInfo(arc, date_time=(2024, 1, 1, 0, 0, 0))
    info.compress_type = zipfile.ZIP_DEFLATED
    info.external_attr = (stat.S_IFREG | mode) << 16
    zf.writestr(info, data)

def bin_dirs():
    """(goos-goarch, dir) of each bridge build present, in a stable order."""
    if not os.path.isdir(bin_root):
        return []
    return [(d, os.path.join(bin_root, d)) for d in sorted(os.listdir(bin_root))
            if d in PLATFORMS and os.path.isdir(os.path.join(bin_root, d))]

def build(path, platform=None, bins=()):
    with zipfile.ZipFile(path, "w") as zf:
        for full, rel in addon_files():
            data = open(full, "rb").read()
            if rel == "blender_manifest.toml" and platform:
                data = data.decode().replace('type = "add-on"\n', f'type = "add-on"\nplatforms = ["{platform}"]\n', 1).encode()
            write(zf, "octane_bridge/" + rel, data)
        for goos_arch, bin_dir in bins:
            for f in sorted(os.listdir(bin_dir)):
                full = os.path.join(bin_dir, f)
                if os.path.isfile(full) and f.startswith("octane-bridge"):
                    write(zf, f"octane_bridge/bin/{goos_arch}/{f}", open(full, "rb").read(), 0o755)
    data = open(path, "rb").read()
    return {"archive_url": "./" + url_prefix + os.path.basename(path), "archive_size": len(data),
            "archive_hash": "sha256:" + hashlib.sha256(data).hexdigest()}

entries = []
base = {"schema_version": "1.0.0", "id": field("id"), "name": field("name"), "tagline": field("tagline"),
        "version": version, "type": "add-on", "maintainer": field("maintainer"),
        "license": list_field("license"), "blender_version_min": field("blender_version_min"),
        "tags": list_field("tags"),
        "permissions": dict(re.findall(r'^(network|files)\s*=\s*"([^"]*)"', manifest_text, re.M))}
for stale in os.listdir(out):  # zips of platforms no longer built must not linger in the listing dir
    if stale.startswith("octane_bridge-") and stale.endswith(".zip"):
        os.remove(os.path.join(out, stale))
bins = bin_dirs()
generic = build(os.path.join(out, f"octane_bridge-{version}.zip"), bins=bins)
print(f"built octane_bridge-{version}.zip ({len(bins)} bridge build(s))")
for goos_arch, d in bins:
    platform = PLATFORMS[goos_arch]
    name = f"octane_bridge-{version}-{platform}.zip"
    entries.append({**base, "platforms": [platform], **build(os.path.join(out, name), platform, [(goos_arch, d)])})
    print(f"built {name}")
if not entries:
    # Without bridge builds the listing offers the plain zip (the bridge comes from OCTANE_BRIDGE_BIN).
    entries.append({**base, **generic})
with open(os.path.join(out, "index.json"), "w") as f:
    json.dump({"version": "v1", "blocklist": [], "data": entries}, f, indent=2)
    f.write("\n")
print(f"wrote index.json ({len(entries)} entries)")
PY
