# Two entry points for a fresh clone: `make up` and `make test`. Both create
# .venv and install the project from pyproject.toml on first use (and again
# whenever pyproject.toml changes).

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp
# checkov pins packaging<24, which the project's own tools cannot live with:
# it gets a virtual environment of its own.
TOOLS       := .venv-tools
TOOLS_STAMP := $(TOOLS)/.installed-stamp

.PHONY: install up test lint fmt bench clean

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Python 3.11+ is required; set PYTHON=python3.11 (or newer)")'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@touch $(STAMP)

$(TOOLS_STAMP):
	$(PYTHON) -m venv $(TOOLS)
	$(TOOLS)/bin/python -m pip install --quiet 'checkov>=3.2,<4'
	@touch $(TOOLS_STAMP)

install: $(STAMP)

## The whole multi-region platform with demo data on http://127.0.0.1:8000 (Ctrl-C stops it).
## Extra options pass through: make up ARGS="--reset --demo-password s3cret-demo".
up: $(STAMP)
	$(BIN)/event-review up $(ARGS)

## Lint, type-check, check the import boundary, then run every test.
test: $(STAMP) $(TOOLS_STAMP) lint
	PATH="$$PATH:$(CURDIR)/$(TOOLS)/bin" $(BIN)/pytest

lint: $(STAMP)
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench
	$(BIN)/lint-imports
	$(BIN)/mypy

## Benchmarks against PostgreSQL's own ceiling: make bench ARGS="--scale full".
bench: $(STAMP)
	$(BIN)/python -m bench $(or $(ARGS),--scale small)

fmt: $(STAMP)
	$(BIN)/ruff check --fix src tests bench
	$(BIN)/ruff format src tests bench

clean:
	rm -rf $(VENV) $(TOOLS) .pytest_cache .mypy_cache .ruff_cache .import_linter_cache test-output
