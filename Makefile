# Two commands do all the set-up on a fresh machine with Python 3.11 and make:
#   make demo   - install, generate 8 quarters of the four MoDs, load, build, write the last quarter's
#                 reports, print how to query
#   make test   - install and run the whole test suite (what CI runs)
# Both install Debian's chromium when it is missing (PDF reports, browser tests): root or sudo.
PY ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
# The dbt manifest the Dagster code location is built from (dbt parse), remade when the project changes.
MANIFEST := dbt_project/target/manifest.json
# parity/dbt.py writes the profile the parse is keyed by (the warehouse's name, DuckDB's settings), and the
# variables it passes (parity/config.py holds their defaults).
DBT_SOURCES := dbt_project/dbt_project.yml dbt_project/profiles.yml parity/dbt.py parity/config.py $(shell find dbt_project/models dbt_project/macros dbt_project/seeds -type f 2>/dev/null)

.PHONY: setup browser demo test check lint dev docs screenshots bench lock clean

$(STAMP): requirements.lock pyproject.toml
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/python -m pip install -q --disable-pip-version-check uv
	# --compile-bytecode: these machines set PYTHONDONTWRITEBYTECODE, imports are twice as slow without it
	$(BIN)/uv pip install -q --python $(BIN)/python --compile-bytecode -r requirements.lock
	$(BIN)/uv pip install -q --python $(BIN)/python --compile-bytecode --no-deps -e .
	touch $(STAMP)

$(MANIFEST): $(STAMP) $(DBT_SOURCES)
	$(BIN)/python -m parity.dbt

setup: $(STAMP) $(MANIFEST)

# Debian's Chromium prints the PDF reports and runs the browser tests (Playwright drives it; its own
# browser download cannot reach the internet here). Installed only when missing.
browser:
	@command -v chromium >/dev/null || { \
	  SUDO=$$([ "$$(id -u)" = 0 ] || echo sudo); \
	  echo "installing Debian's chromium (PDF reports, browser tests)"; \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq chromium >/dev/null; }

demo: setup browser
	$(BIN)/parity demo

# Two processes (pytest-xdist; a module and its fixtures stay on one, and so do the modules of the shared
# `history` warehouse: tests/conftest.py): the suite spends its time in loads and dbt builds that use
# one core each. --no-loadscope-reorder keeps tests/conftest.py's order (slowest first) instead of
# xdist's (most tests first).
test: setup browser lint
	$(BIN)/python -m pytest -n auto --dist loadfile --no-loadscope-reorder

# The edit loop (well under 90 s): ruff, the tests that need no warehouse, server, browser or other
# process (tests/conftest.py marks the others `integration`), and dbt's unit tests on an empty warehouse.
check: setup lint
	$(BIN)/python -m pytest -q -m "not integration"
	$(BIN)/python -m parity.dbt unit-tests

# ruff (rules in pyproject.toml) and sqlfluff on the dbt models (rules in .sqlfluff; its dbt templater
# compiles the project against a throwaway DuckDB file); part of make test
lint: $(STAMP)
	$(BIN)/ruff check parity orchestration sources tests bench
	@lintdb=$$(mktemp -d) && PARITY_WAREHOUSE=$$lintdb/lint.duckdb $(BIN)/sqlfluff lint --disable-progress-bar \
	  dbt_project/models; status=$$?; rm -rf $$lintdb; exit $$status

dev: setup
	$(BIN)/parity dev

# dbt's documentation site as one page that opens from disk (the catalog from $PARITY_HOME's warehouse, if any)
docs: setup
	$(BIN)/python -m parity.docs

# the README's pictures of the focal points' loop (docs/images/): the page in Chromium, parity check, an e-mail
screenshots: setup browser
	$(BIN)/python -m parity.screenshots

# `parity load` against the floor of the same work (bench/load.py; README, "Tests and benchmarks");
# the scale-10 run on request:
# make bench BENCH_ARGS=--scale10
bench: setup
	$(BIN)/python bench/load.py $(BENCH_ARGS)

# Re-pin requirements.lock from pyproject.toml's ranges (needs the package registry).
lock: setup
	$(BIN)/uv pip compile pyproject.toml --extra test --python-version 3.11 --no-header -o requirements.lock

clean:
	rm -rf $(VENV) data .pytest_cache dbt_project/target dbt_project/logs artifacts
