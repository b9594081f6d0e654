# Two commands do everything on a fresh machine: `make run` and `make test`.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
STORE := data/store/default.duckdb

.PHONY: setup run test data lint bench clean

$(STAMP): pyproject.toml
	test -d $(VENV) || $(PY) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[test]'
	touch $(STAMP)

setup: $(STAMP)

$(STORE): $(STAMP) $(shell find data/raw src/crmsec/registry -type f 2>/dev/null)
	$(BIN)/crmsec data build

data: $(STORE)

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
