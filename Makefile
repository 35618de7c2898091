# Two commands on a fresh clone: `make run` and `make test`. Only Python 3.11 and make needed.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
UV_VERSION := 0.13.8
TOOLS := .tools
UV := $(TOOLS)/bin/uv
VENV := .venv
BIN := $(VENV)/bin
export UV_PYTHON_DOWNLOADS := never
export UV_PROJECT_ENVIRONMENT := $(VENV)
export DAGSTER_HOME ?= $(CURDIR)/data/dagster

.PHONY: run test ui lint format install snapshot clean help sql serve publish bench bench-10x

help:
	@echo "make run    set up, run the whole pipeline on the bundled snapshot, print a summary"
	@echo "make test   set up and run the test suite"
	@echo "make ui     Dagster UI on http://127.0.0.1:3000"
	@echo "make serve  the latest release and its portal on http://127.0.0.1:8000/site/"
	@echo "make publish   publish a dated open-data release from the published warehouse"
	@echo "make lint   ruff"
	@echo "make sql Q='select ...'   query the published warehouse (read-only)"
	@echo "make bench  run every benchmark at real scale and write BENCHMARKS.md (about 15 min)"
	@echo "make bench-10x   add the 10x figures to BENCHMARKS.md (much longer)"

$(UV):
	@$(PYTHON) -c 'import sys; assert sys.version_info[:2] == (3, 11), "Python 3.11 is required, found " + sys.version' 
	$(PYTHON) -m venv $(TOOLS)
	$(TOOLS)/bin/python -m pip install --quiet --disable-pip-version-check uv==$(UV_VERSION)

# The venv is synced from uv.lock exactly (--frozen: the lock is never re-resolved here).
$(VENV)/.synced: pyproject.toml uv.lock | $(UV)
	$(UV) sync --frozen --python $(PYTHON)
	@touch $@

install: $(VENV)/.synced

run: install
	$(BIN)/osservatorio run

test: install
	$(BIN)/ruff check .
	$(BIN)/python -m pytest

ui: install
	$(BIN)/python -m orchestration.instance install "$(DAGSTER_HOME)"
	$(BIN)/osservatorio prepare
	$(BIN)/dagster dev --host 127.0.0.1 --port 3000 --workspace workspace.yaml

# The latest open-data release, portal included (OSSERVATORIO_PORTAL_HOST/_PORT to change).
serve: install
	$(BIN)/python -m exports.portal.serve

publish: install
	$(BIN)/osservatorio publish

sql: install
	@$(BIN)/osservatorio sql "$(Q)"

# Benchmarks (not tests): figures, the machine and how to reproduce each, in BENCHMARKS.md.
bench: install
	$(BIN)/python -m benchmarks

bench-10x: install
	$(BIN)/python -m benchmarks --scale 10

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: install
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

# Regenerate the synthetic part of the bundled snapshot (deterministic).
snapshot: install
	$(BIN)/python -m ingestion.istat.synthetic

clean:
	rm -rf data dbt_project/target dbt_project/logs .pytest_cache .ruff_cache
