# Two entry points for a fresh machine: `make demo` and `make test` (see README).
PY ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
VENDOR := src/ipoc/web/static/vendor
# Stamps live inside what they vouch for, so deleting .venv or the assets redoes that step.
PY_STAMP := $(VENV)/.ipoc-installed
ASSET_STAMP := $(VENDOR)/.installed
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: setup system-packages python-packages frontend-assets demo serve test lint clean

setup: system-packages python-packages frontend-assets

system-packages:
	@bash scripts/setup-system.sh

python-packages: $(PY_STAMP)

$(PY_STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	@touch $@

frontend-assets: $(ASSET_STAMP)

$(ASSET_STAMP): frontend/package.json frontend/package-lock.json scripts/copy-assets.sh
	cd frontend && npm ci --no-audit --no-fund --loglevel=error
	@bash scripts/copy-assets.sh
	@touch $@

demo: setup
	$(BIN)/ipoc db upgrade
	$(BIN)/ipoc demo load
	$(BIN)/ipoc serve --host $(HOST) --port $(PORT)

serve: setup
	$(BIN)/ipoc serve --host $(HOST) --port $(PORT)

lint: python-packages
	$(BIN)/ruff check .
	$(BIN)/ruff format --check src tests

test: setup lint
	$(BIN)/python -m pytest

clean:
	rm -rf $(VENV) frontend/node_modules $(VENDOR)
