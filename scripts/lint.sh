#!/usr/bin/env bash
# `make lint`: go vet, gofmt, and the web app's lint (route types, tsc, ESLint: frontend/package.json).
source "$(dirname "$0")/lib.sh"
cd "$OCTANE_ROOT"
status=0
unformatted="$(gofmt -l $(git ls-files '*.go') 2>/dev/null || true)"
[ -z "$unformatted" ] || { echo "gofmt needed:"; echo "$unformatted"; status=1; }
go vet ./... || status=1
if [ -f frontend/package.json ] && grep -q '"lint"' frontend/package.json; then npm run lint -w frontend || status=1; fi
exit $status
