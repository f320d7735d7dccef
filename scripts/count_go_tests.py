#!/usr/bin/env python3
"""Counts the results of `go test -json` (stdin) and prints failures readably.

Prints one line `passed failed skipped` on the last line of stdout; everything else goes to stderr.
Only leaf tests count (a parent test passes when its subtests do), and a package that fails to
build or panics outside a test counts as one failure.
"""
import json
import sys

results = {}
children = set()
pkg_failed = {}
output = {}

for line in sys.stdin:
    try:
        ev = json.loads(line)
    except json.JSONDecodeError:
        sys.stderr.write(line)
        continue
    pkg, test, action = ev.get("Package", ""), ev.get("Test"), ev.get("Action")
    if action == "output":
        output.setdefault((pkg, test), []).append(ev.get("Output", ""))
        continue
    if test:
        if action in ("pass", "fail", "skip"):
            results[(pkg, test)] = action
            if "/" in test:
                children.add((pkg, test.rsplit("/", 1)[0]))
    elif action == "fail":
        pkg_failed[pkg] = True

passed = failed = skipped = 0
for key, action in results.items():
    if key in children and action != "fail":
        continue
    if key in children and action == "fail":
        # A failing parent whose children all passed failed on its own; otherwise the children count.
        if any(k[0] == key[0] and k[1].startswith(key[1] + "/") and a == "fail" for k, a in results.items()):
            continue
    if action == "pass":
        passed += 1
    elif action == "skip":
        skipped += 1
    else:
        failed += 1
        sys.stderr.write("--- FAIL %s %s\n%s\n" % (key[0], key[1], "".join(output.get(key, []))[-4000:]))

for pkg in pkg_failed:
    if not any(k[0] == pkg and a == "fail" for k, a in results.items()):
        failed += 1
        sys.stderr.write("--- FAIL package %s (build failure, panic or timeout)\n%s\n" % (pkg, "".join(output.get((pkg, None), []))[-4000:]))

print(passed, failed, skipped)
