#!/usr/bin/env bash
# Builds the Blender add-on zips and the Blender extensions repository listing:
#   dist/addon/octane_bridge-<version>.zip              (no bridge binary; any platform)
#   dist/addon/octane_bridge-<version>-<platform>.zip   (one per bridge/bin/<goos>-<goarch>/)
#   dist/addon/index.json                               (extensions repository, API v1)
# Each zip holds one top-level folder octane_bridge/, which both Blender 3.x/4.x "Install
# add-on" and 4.2+ extensions accept. Zips are reproducible (fixed timestamps, sorted entries).
source "$(dirname "$0")/lib.sh"
cd "$OCTANE_ROOT"
out="${ADDON_DIST:-$OCTANE_ROOT/dist/addon}"
mkdir -p "$out"
python3 - "$OCTANE_ROOT/blender_addon" "$OCTANE_ROOT/bridge/bin" "$out" <<'PY'
import hashlib, json, os, re, stat, sys, zipfile

src, bin_root, out = sys.argv[1:4]
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
        for f in sorted(files):
            if f.endswith((".pyc", ".pyo")) or f.startswith("."):
                continue
            rel = os.path.normpath(os.path.join(rel_root, f)).replace(os.sep, "/")
            yield os.path.join(root, f), rel

def write(zf, arc, data, mode=0o644):
    info = zipfile.ZipInfo(arc, date_time=(2024, 1, 1, 0, 0, 0))
    info.compress_type = zipfile.ZIP_DEFLATED
    info.external_attr = (stat.S_IFREG | mode) << 16
    zf.writestr(info, data)

def build(path, platform=None, bin_dir=None, goos_arch=None):
    with zipfile.ZipFile(path, "w") as zf:
        for full, rel in addon_files():
            data = open(full, "rb").read()
            if rel == "blender_manifest.toml" and platform:
                data = data.decode().replace('type = "add-on"\n', f'type = "add-on"\nplatforms = ["{platform}"]\n', 1).encode()
            write(zf, "octane_bridge/" + rel, data)
        if bin_dir:
            for f in sorted(os.listdir(bin_dir)):
                full = os.path.join(bin_dir, f)
                if os.path.isfile(full):
                    write(zf, f"octane_bridge/bin/{goos_arch}/{f}", open(full, "rb").read(), 0o755)
    data = open(path, "rb").read()
    return {"archive_url": "./" + os.path.basename(path), "archive_size": len(data),
            "archive_hash": "sha256:" + hashlib.sha256(data).hexdigest()}

entries = []
base = {"schema_version": "1.0.0", "id": field("id"), "name": field("name"), "tagline": field("tagline"),
        "version": version, "type": "add-on", "maintainer": field("maintainer"),
        "license": list_field("license"), "blender_version_min": field("blender_version_min"),
        "tags": list_field("tags"),
        "permissions": dict(re.findall(r'^(network|files)\s*=\s*"([^"]*)"', manifest_text, re.M))}
generic = build(os.path.join(out, f"octane_bridge-{version}.zip"))
print(f"built octane_bridge-{version}.zip")
if os.path.isdir(bin_root):
    for goos_arch in sorted(os.listdir(bin_root)):
        platform = PLATFORMS.get(goos_arch)
        d = os.path.join(bin_root, goos_arch)
        if not platform or not os.path.isdir(d):
            continue
        name = f"octane_bridge-{version}-{platform}.zip"
        entries.append({**base, "platforms": [platform], **build(os.path.join(out, name), platform, d, goos_arch)})
        print(f"built {name}")
if not entries:
    # Without bridge builds the listing offers the plain zip (the bridge comes from OCTANE_BRIDGE_BIN).
    entries.append({**base, **generic})
with open(os.path.join(out, "index.json"), "w") as f:
    json.dump({"version": "v1", "blocklist": [], "data": entries}, f, indent=2)
    f.write("\n")
print(f"wrote index.json ({len(entries)} entries)")
PY
