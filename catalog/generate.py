#!/usr/bin/env python3
"""Regenerate the demo catalog: texture maps from the Go generator (`texgen maps`, 1k/2k/4k),
package folders built in headless Blender (at most 2 processes, each single-threaded, nice 10),
packed with `publish pack` into catalog/demo (base zips committed, texture set zips beside them
and git-ignored: `texgen sets` makes them again from the committed manifests), with a progress
bar. Every shader built gets a new version (versions.py), so `make dev` publishes it; a textured
shader becomes a format v2 package, and its v1 package stays listed (v1 keeps importing).

    catalog/generate.sh [--jobs 2] [--only id,id] [--samples 20] [--reuse-previews] [--keep DIR]
"""
import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, os.path.join(HERE, "blender"))
import materials  # noqa: E402
import versions  # noqa: E402


def bar(done, total, note, started):
    width = 30
    frac = done / total if total else 1.0
    fill = int(frac * width)
    el = time.time() - started
    eta = (el / frac - el) if frac > 0 else 0
    line = "\rcatalog [%s%s] %3d%% %d/%d  %s  eta %ds   " % (
        "=" * fill, " " * (width - fill), frac * 100, done, total, note[:28].ljust(28), eta)
    if sys.stdout.isatty():
        sys.stdout.write(line)
    else:
        sys.stdout.write(line.strip("\r") + "\n")
    sys.stdout.flush()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--only", default="")
    ap.add_argument("--samples", type=int, default=20)
    ap.add_argument("--size", type=int, default=1024)
    ap.add_argument("--keep", default="", help="build folder to keep (default: a temp dir)")
    ap.add_argument("--reuse-previews", action="store_true", help="keep each shader's current preview (no renders)")
    ap.add_argument("--out", default=os.path.join(HERE, "demo"))
    ap.add_argument("--blender", default=shutil.which("blender") or "blender")
    a = ap.parse_args()
    jobs = max(1, min(a.jobs, 2))  # the build machines have 2 cores
    n = materials.validate()
    ids = [s["id"] for s in materials.CATALOG]
    if a.only:
        ids = [i for i in ids if i in set(a.only.split(","))]
        n = len(ids)
    work = a.keep or tempfile.mkdtemp(prefix="octane-catalog-")
    os.makedirs(work, exist_ok=True)
    index_path = os.path.join(a.out, "catalog.json")
    before = versions.read_rows(index_path)
    textured = {s["id"] for s in materials.CATALOG if s.get("tex")} & set(ids)
    versions_path = os.path.join(work, "versions.json")
    with open(versions_path, "w") as f:
        json.dump(versions.next_versions(versions.read_index(index_path), ids, v2=textured), f)
    env = dict(os.environ, GOFLAGS=os.environ.get("GOFLAGS", "-mod=mod"), GOAMD64="v1")
    if textured:
        r = subprocess.run(["nice", "-n", "10", "go", "run", "./cmd/texgen", "maps", "-out", os.path.join(work, "pkgs"),
                            "-only", ",".join(sorted(textured))], cwd=ROOT, env=env)
        if r.returncode != 0:
            return r.returncode
    script = os.path.join(HERE, "blender", "build.py")
    procs, logs = [], []
    lock = threading.Lock()
    state = {"done": 0, "failed": False}
    started = time.time()

    def pump(p, log):
        for line in p.stdout:
            log.write(line)
            if line.startswith("@@ ") and " done " in line:
                with lock:
                    state["done"] += 1
                    bar(state["done"], n, line.split()[1], started)

    for i in range(jobs):
        cmd = ["nice", "-n", "10", a.blender, "-b", "--factory-startup", "-noaudio", "--python-exit-code", "1", "-P", script, "--",
               "--out", os.path.join(work, "pkgs"), "--shard", "%d/%d" % (i, jobs), "--samples", str(a.samples),
               "--size", str(a.size), "--threads", "1", "--versions", versions_path]
        if a.only:
            cmd += ["--only", a.only]
        if a.reuse_previews:
            cmd += ["--reuse-previews", os.path.join(a.out, "previews")]
        log = open(os.path.join(work, "blender-%d.log" % i), "w")
        p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        t = threading.Thread(target=pump, args=(p, log), daemon=True)
        t.start()
        procs.append((p, t, log))
    bar(0, n, "starting", started)
    rc = 0
    for p, t, log in procs:
        rc |= p.wait()
        t.join()
        log.close()
    print()
    if rc != 0:
        print("Blender failed; logs in", work, file=sys.stderr)
        return 1
    srcs = sorted(os.path.join(work, "pkgs", d) for d in os.listdir(os.path.join(work, "pkgs")))
    r = subprocess.run(["go", "run", "./cmd/publish", "pack", "-out", a.out] + srcs, cwd=ROOT, env=env)
    if r.returncode != 0:
        return r.returncode
    for rel in versions.superseded(before, versions.read_rows(index_path)):
        # Published versions live on in S3; the folder keeps each shader's newest v1 and v2.
        os.remove(os.path.join(a.out, rel))
        sets = os.path.join(a.out, rel[:-len(".zip")])
        if os.path.isdir(sets):
            shutil.rmtree(sets)
    print("catalog: %d shaders in %s (%.0fs)" % (len(srcs), a.out, time.time() - started))
    if not a.keep:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
