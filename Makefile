# Two commands do everything on a fresh machine: `make run` and `make test`.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: setup run test data lint bench clean

$(STAMP): pyproject.toml
	test -d $(VENV) || $(PY) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[test]'
	touch $(STAMP)

setup: $(STAMP)

# the store is rebuilt only when a raw file or a registry table is newer than it (see `crmsec data build --if-stale`)
data: $(STAMP)
	$(BIN)/crmsec data build --if-stale

run: data
	$(BIN)/crmsec run --out out

test: $(STAMP)
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/pytest

lint: $(STAMP)
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/ruff format --check src tests benchmarks

bench: data
	$(BIN)/python benchmarks/run_all.py

clean:
	rm -rf $(VENV) data/store out
