#!/usr/bin/env python3
"""Sorts the `duplicates` command's pairs into what can be folded and what cannot.

Issue 15 measures duplicated regions with `duplicates` (pairs of places sharing six or more
identical or same-shape lines). Three kinds of pair in its list are not code written twice:
  migrations  both sides in supabase/migrations (landed migrations are append-only; a later
              migration restates the function it replaces),
  generated   a side in a generated file (*.gen.ts, database.types.ts, *_gen.go),
  go-imports  a side inside a Go `import ( … )` block (the counter passes over lines that start
              with `import`, not the quoted paths inside the block, and any six paths share a shape).
The rest is `code`: the pairs worth reading when folding. Each kind is split by how the counter
marks its pairs: to the letter (no mark), alike but for names and values (`shape`), and thin
shapes (`boilerplate`). Usage, from the repository root:

    python3 scripts/duplicates-breakdown.py            # counts per kind, then the code pairs
    python3 scripts/duplicates-breakdown.py --all      # every pair with its kind
    python3 scripts/duplicates-breakdown.py --at REV   # the same for a past commit (a temporary
                                                       # git worktree; ab0d09a: issue 15 filed)
"""
import os
import re
import signal
import subprocess
import sys
import tempfile

KINDS = ("code", "go-imports", "migrations", "generated")

ROW = re.compile(r"^(D\d+) (\S+):(\d+)-(\d+) ~ (\S+):(\d+)-(\d+)(.*)$")


def import_blocks(path, cache={}):
    if path not in cache:
        blocks, start = [], None
        try:
            with open(path, encoding="utf-8") as f:
                for n, line in enumerate(f, 1):
                    if line.startswith("import ("):
                        start = n
                    elif start is not None and line.startswith(")"):
                        blocks.append((start, n))
                        start = None
        except OSError:
            pass
        cache[path] = blocks
    return cache[path]


def in_import_block(path, first, last):
    return path.endswith(".go") and any(a <= first and last <= b for a, b in import_blocks(path))


def generated(path):
    return ".gen." in path or path.endswith("database.types.ts") or path.endswith("_gen.go")


def kind(a, a1, a2, b, b1, b2):
    if a.startswith("supabase/migrations/") and b.startswith("supabase/migrations/"):
        return "migrations"
    if generated(a) or generated(b):
        return "generated"
    if in_import_block(a, a1, a2) or in_import_block(b, b1, b2):
        return "go-imports"
    return "code"


def mark(row):
    if " boilerplate" in row:
        return "boilerplate"
    return "shape" if " shape" in row else "letter"


def main():
    signal.signal(signal.SIGPIPE, signal.SIG_DFL)  # `| head` ends the listing quietly
    args = sys.argv[1:]
    if "--at" in args:
        rev, repo = args[args.index("--at") + 1], os.getcwd()
        with tempfile.TemporaryDirectory() as tmp:
            tree = os.path.join(tmp, "tree")
            subprocess.run(["git", "worktree", "add", "-q", "--detach", tree, rev], check=True)
            try:
                os.chdir(tree)
                report(args)
            finally:
                os.chdir(repo)
                subprocess.run(["git", "worktree", "remove", "--force", tree], check=False)
        return
    report(args)


def report(args):
    out = subprocess.run(["duplicates", "--most", "200", "--seconds", "300"],
                         capture_output=True, text=True, check=True).stdout
    lines = out.splitlines()
    rows = []
    for line in lines:
        m = ROW.match(line)
        if m:
            d, a, a1, a2, b, b1, b2, _ = m.groups()
            rows.append((kind(a, int(a1), int(a2), b, int(b1), int(b2)), line))
    counts = {}
    for k, line in rows:
        counts[k] = counts.get(k, 0) + 1
        counts[k, mark(line)] = counts.get((k, mark(line)), 0) + 1
    print(lines[0] if lines else "no output from duplicates")
    print("  " + ", ".join(f"{k} {counts.get(k, 0)}" for k in KINDS))
    for k in KINDS:
        split = ", ".join(f"{m} {counts.get((k, m), 0)}" for m in ("letter", "shape", "boilerplate"))
        print(f"  {k:10} {split}")
    for line in lines:
        if line.startswith(("(+", "left out:", "incomplete:")):
            print(line)
    show_all = "--all" in args
    for k, line in rows:
        if show_all or k == "code":
            print(f"{k:10} {line}")


if __name__ == "__main__":
    main()
