# Octane Bridge. `make help` lists the targets.
SHELL := /bin/bash
.DEFAULT_GOAL := help
export GOFLAGS ?= -mod=mod

.PHONY: help dev stop test bench lint types fmt db-reset catalog addon bridge release stripe-event image

help: ## Show this help
	@awk 'BEGIN {FS = ":.*## "} /^[a-zA-Z_-]+:.*## / {printf "  \033[36m%-14s\033[0m %s\n", $$1, $$2}' $(MAKEFILE_LIST)

dev: ## Run the whole product locally (installs what is missing)
	@scripts/dev.sh

stop: ## Stop everything `make dev` started
	@scripts/services.sh stop

test: ## Run every test suite (installs what is missing); ends with "N passed, N failed"
	@scripts/test.sh

bench: ## Run every benchmark; writes .local/reports/bench.json and prints a table
	@scripts/bench.sh

lint: ## Static checks: go vet, gofmt, the web app's lint and type check
	@scripts/lint.sh

types: ## Regenerate frontend/lib/database.types.ts (migrations) and lib/edge-api.gen.ts (edge/openapi.yaml)
	@scripts/services.sh start pg && scripts/types.sh

fmt: ## Format Go, TypeScript and Python sources
	@gofmt -w $$(git ls-files '*.go')
	@if [ -f frontend/package.json ]; then npx --no-install prettier --write "frontend/**/*.{ts,tsx,css}" >/dev/null 2>&1 || true; fi

db-reset: ## Drop the local database and apply shims, migrations and seed again
	@scripts/services.sh start pg && scripts/db.sh reset postgres

catalog: ## Regenerate the demo catalog (renders previews in headless Blender)
	@catalog/generate.sh

bridge: ## Cross-compile the bridge for every platform into bridge/bin/
	@scripts/build-bridge.sh

addon: bridge ## Build the add-on zips (with the bridge binaries) into dist/addon/
	@scripts/build-addon.sh

release: ## Build the add-on release (production keys: BRIDGE_TRUSTED_KEYS) and publish it to S3; RELEASE_FLAGS=--dry-run
	@scripts/release.sh $(RELEASE_FLAGS)

image: ## Build the edge's OCI image without Docker into dist/edge-image/ (+ dist/edge-image.tar for docker load)
	@go run ./cmd/edge-image -out dist/edge-image -tar dist/edge-image.tar $(IMAGE_FLAGS)

stripe-event: ## Post signed Stripe fixture events to the local webhook
	@scripts/stripe-event.sh
