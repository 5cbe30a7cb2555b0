# The two commands in the README: `make run` and `make test`. Everything else is a helper of theirs.
SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
TOOLS := .tools
BUN_VERSION := 1.4.5
BUN := $(TOOLS)/node_modules/.bin/bun
AXE_VERSION := 4.14.1
AXE := $(TOOLS)/node_modules/axe-core/axe.min.js
ANIMA_PORT ?= 3000

# Nothing may download at run time: bun comes from the npm registry into .tools/, Reflex uses it,
# and nothing phones home.
export PATH := $(CURDIR)/$(TOOLS)/node_modules/.bin:$(PATH)
export REFLEX_USE_SYSTEM_BUN := 1
export REFLEX_TELEMETRY_ENABLED := false
export REFLEX_CHECK_LATEST_VERSION := false
export REFLEX_HTTP_CLIENT_BIND_ADDRESS := 0.0.0.0
export NPM_CONFIG_REGISTRY ?= $(shell npm config get registry 2>/dev/null || echo https://registry.npmjs.org/)
export ANIMA_PORT

.PHONY: help setup setup-dev run run-prod lint test test-unit test-e2e migrate seed-demo chromium axe bench clean

help:
	@echo "make run    - set up, migrate, load demo data and serve on http://localhost:$(ANIMA_PORT)"
	@echo "make run-prod - the same on this machine's PostgreSQL and Redis, with 2 worker processes"
	@echo "make test   - set up (plus Chromium), run the code checks (make lint), then every pytest and end-to-end test"

$(VENV)/.installed: requirements.txt
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements.txt
	touch $@

# Test, benchmark and code-check packages (requirements-dev.txt): not needed to run the app.
$(VENV)/.installed-dev: $(VENV)/.installed requirements-dev.txt
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	touch $@

$(BUN):
	npm install --silent --no-save --no-audit --no-fund --prefix $(TOOLS) bun@$(BUN_VERSION)

setup: $(VENV)/.installed $(BUN)

# axe-core for the accessibility sweep (e2e/test_accessibility_sweep.py), from the npm registry.
$(AXE):
	npm install --silent --no-save --no-audit --no-fund --prefix $(TOOLS) bun@$(BUN_VERSION) axe-core@$(AXE_VERSION)

axe: $(AXE)

setup-dev: setup $(VENV)/.installed-dev

migrate: setup
	$(PY) -m anima_pwa.admin migrate

seed-demo: migrate
	ANIMA_DEMO=1 $(PY) -m anima_pwa.admin seed-demo

# Demo mode (ANIMA_DEMO=1) is set here and nowhere else: it adds the demo mailbox page and, unless
# ANIMA_NHS_LOGIN_ISSUER is set, the local NHS login emulator (on ANIMA_PORT + 1), stopped with the app.
define SERVE
	@set -m; export ANIMA_DEMO=1; \
	if [ -z "$$ANIMA_NHS_LOGIN_ISSUER" ]; then \
		$(PY) -m anima_pwa.nhs_login_emulator & emulator=$$!; \
		trap 'kill $$emulator 2>/dev/null' EXIT INT TERM; \
	fi; \
	$(VENV)/bin/reflex run --env prod --single-port \
		--frontend-port $(ANIMA_PORT) --backend-port $(ANIMA_PORT)
endef

run: seed-demo
	$(SERVE)

# Production mode on this machine: PostgreSQL (database anima_prod, created if missing) and Redis on
# 127.0.0.1, so Reflex runs several worker processes (GRANIAN_WORKERS, 2 here: one per core); every
# other step is `make run`'s (demo data if the database is empty, the demo mailbox).
run-prod: export REFLEX_DB_URL ?= postgresql://postgres@127.0.0.1:5432/anima_prod
run-prod: export REFLEX_REDIS_URL ?= redis://127.0.0.1:6379/0
run-prod: export GRANIAN_WORKERS ?= 2
run-prod: setup
	$(PY) -m anima_pwa.admin migrate --create-database
	ANIMA_DEMO=1 $(PY) -m anima_pwa.admin seed-demo
	$(SERVE)

chromium:
	@bash .ci/ensure-chromium

# The code checks: ruff (lint and format) and mypy (pyproject.toml). `make test` runs them first.
lint: setup-dev
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy

# The unit tests, then the browser journeys, each on both cores (pytest-xdist: each worker makes
# its own throwaway PostgreSQL database and, for the journeys, runs its own app server with its own
# frontend build; a test file's journeys stay on one worker). Either failing, or collecting no
# tests (pytest exits 5), fails `make test`.
test: setup-dev chromium axe lint
	$(PY) -m pytest -p no:cacheprovider -n 2 tests
	$(PY) -m pytest -p no:cacheprovider -n 2 --dist loadfile e2e

test-unit: setup-dev
	$(PY) -m pytest -p no:cacheprovider -n 2 tests

test-e2e: setup-dev chromium axe
	$(PY) -m pytest -p no:cacheprovider -n 2 --dist loadfile e2e

bench: setup-dev
	$(PY) -m bench

clean:
	rm -rf .web .states $(TOOLS) $(VENV) e2e/artifacts
