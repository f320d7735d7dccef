#!/usr/bin/env bash
# Regenerate catalog/demo (packages, previews, catalog.json): texture maps from cmd/texgen, the
# .blend files and previews in headless Blender, then publish pack (catalog/generate.py).
# Needs: blender (Debian 3.4.1 works), go, python3. Takes ~40-60 minutes on 2 shared cores.
set -euo pipefail
cd "$(dirname "$0")/.."
command -v blender >/dev/null || { echo "catalog: blender not found (apt-get install blender)" >&2; exit 1; }
exec python3 catalog/generate.py "$@"
