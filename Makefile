# Two entry points for a fresh machine: `make demo` and `make test` (see README).
PY ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMPS := .setup-stamps
VENDOR := src/ipoc/web/static/vendor
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: setup system-packages python-packages frontend-assets demo serve test lint bench clean

setup: system-packages python-packages frontend-assets

system-packages:
	@bash scripts/setup-system.sh

python-packages: $(STAMPS)/python

$(STAMPS)/python: pyproject.toml
	@mkdir -p $(STAMPS)
	@test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	@touch $@

frontend-assets: $(STAMPS)/frontend

$(STAMPS)/frontend: frontend/package.json frontend/package-lock.json scripts/copy-assets.sh
	@mkdir -p $(STAMPS)
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
	rm -rf $(VENV) $(STAMPS) frontend/node_modules $(VENDOR)
