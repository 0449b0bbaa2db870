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

.PHONY: setup system-packages python-packages frontend-assets demo serve test lint bench bench-import quality match-quality load clean

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
	$(BIN)/ipoc embed run
	$(BIN)/ipoc serve --host $(HOST) --port $(PORT)

serve: setup
	$(BIN)/ipoc serve --host $(HOST) --port $(PORT)

lint: python-packages
	$(BIN)/ruff check .
	$(BIN)/ruff format --check src tests benchmarks
	$(BIN)/lint-imports
	$(BIN)/mypy

# Three workers, one test file each at a time: the suite waits on PostgreSQL and Chromium as much as on
# the two CPUs, and whole files keep their module fixtures (browsers, templates) to one worker. The 25 slowest
# tests are listed at the end, so a CI log says where the time went.
test: setup lint
	$(BIN)/python -m pytest -n 3 --dist loadfile --durations=25

# Scale benchmark of import and search (issue 3); not part of `test`. `make bench SIZES=20000` for a quick run.
# `make bench-import`: import rows/s per export layout (CNIPA CSV, incoPat and PatSnap XLSX) beside the bare
# insert of the same rows, and peak memory, at 100,000 rows (issue 14); `make bench-import ROWS=5000` to try it.
bench: setup
	$(BIN)/python benchmarks/search_bench.py $(if $(SIZES),--sizes $(SIZES))

bench-import: setup
	$(BIN)/python benchmarks/import_bench.py $(if $(ROWS),--rows $(ROWS))

# Search quality (issues 3 and 13); not part of `test`. The 4,097 real patents are embedded once into
# $IPOC_DATA_DIR/quality-vectors (./var by default, ~15 minutes); later runs take a few minutes. First the 46 short
# labelled queries, then every ranking side by side on the graded real needs; fails when hybrid search misses its bar.
quality: setup
	$(BIN)/python benchmarks/search_quality.py
	$(BIN)/python benchmarks/need_quality.py --focus search

# Demand→patent matching quality on the graded real needs (issues 5 and 13); not part of `test`. Same vector cache.
match-quality: setup
	$(BIN)/python benchmarks/need_quality.py --focus match

# The server under load (issue 11): 10 minutes each, PostgreSQL (50 users, 2 web processes, 1 worker) then SQLite (20).
load: setup
	$(BIN)/python benchmarks/load_bench.py --backend postgresql --users 50 --duration 600 --web-workers 2 --job-workers 1
	$(BIN)/python benchmarks/load_bench.py --backend sqlite --users 20 --duration 600

clean:
	rm -rf $(VENV) frontend/node_modules $(VENDOR)
