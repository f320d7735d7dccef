#!/usr/bin/env bash
# Installs what the project needs on a fresh Debian machine and skips what is already there.
# Safe to run any number of times. Not root: prints the exact command to run instead.
source "$(dirname "$0")/lib.sh"

APT_PACKAGES=(
  postgresql-15 postgresql-contrib postgresql-15-pgtap libtap-parser-sourcehandler-pgtap-perl
  chromium fonts-dejavu-core blender xvfb unzip curl ca-certificates redis-server
)
GO_TOOLS=(
  "versitygw github.com/versity/versitygw/cmd/versitygw@v1.8.0"
  "stripe-mock github.com/stripe/stripe-mock@v0.203.0"
)
PIP_PACKAGES=(pytest==8.3.4 hypothesis==6.170.15 jsonschema==4.26.0)  # jsonschema: the contract examples (schemas/), the catalog check

command -v go >/dev/null || die "Go 1.26 is required (https://go.dev/dl); it was not found on PATH"
command -v node >/dev/null || die "Node.js 20+ is required; it was not found on PATH"

ensure_apt "${APT_PACKAGES[@]}"
for t in "${GO_TOOLS[@]}"; do ensure_go_tool ${t}; done
ensure_npm
ensure_pip "${PIP_PACKAGES[@]}"
