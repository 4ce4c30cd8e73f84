# LHPN: `make run` starts the app with demo data; `make test` runs every test.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
export LHPN_INSTANCE_PATH ?= $(CURDIR)/instance
HOST ?= 127.0.0.1
PORT ?= 5000

.PHONY: run test test-only lint lint-only install install-dev i18n db demo clean bench

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e .
	touch $@

$(VENV)/.installed-dev: pyproject.toml $(VENV)/.installed
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $@

# axe-core (package.json) for the accessibility test, which injects it into pages; never served.
node_modules/.installed: package.json package-lock.json
	@if command -v npm >/dev/null 2>&1; then npm ci --no-audit --no-fund --loglevel=error && touch $@; \
	else echo "npm not found: tests/test_accessibility.py will skip (fails under CI=true); apt-get install npm"; fi

install: $(VENV)/.installed
install-dev: $(VENV)/.installed-dev node_modules/.installed

i18n: install
	bash scripts/i18n.sh compile

db: install i18n
	$(BIN)/flask --app wsgi db upgrade

demo: db
	$(BIN)/flask --app wsgi demo load

run: demo
	@echo "LHPN: http://$(HOST):$(PORT)/  (demo logins above)"
	$(BIN)/flask --app wsgi run --host $(HOST) --port $(PORT)

test: install-dev i18n lint-only test-only

test-only:
	$(BIN)/pytest $(PYTEST_ARGS)

lint: install-dev lint-only

# ruff on the code and its tests; mypy type-checks the application (settings in pyproject.toml).
lint-only:
	$(BIN)/ruff check lhpn tests bench
	$(BIN)/mypy lhpn

# Consolidation benchmark (bench/README.md): generates throw-away data sets (SQLite, and
# PostgreSQL bench_p / bench_n when reachable), ~20 min. Quick smoke run:
# make bench BENCH_ARGS=--quick
bench: install-dev
	$(BIN)/python bench/consolidation.py $(BENCH_ARGS)

clean:
	rm -rf $(VENV) instance .pytest_cache test-artifacts node_modules
