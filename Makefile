# Two commands do everything on a fresh machine: `make run` and `make test`.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
LOCK := requirements.txt
UV_VERSION := 0.13.8

.PHONY: setup run test data lint bench clean lock

# Everything comes from the lock (exact versions + sha256 hashes, verified by pip); crmsec itself is installed
# without dependencies and without build isolation, so nothing unpinned is ever fetched.
$(STAMP): pyproject.toml $(LOCK)
	test -d $(VENV) || $(PY) -m venv $(VENV)
	$(BIN)/pip install -q --disable-pip-version-check --require-hashes -r $(LOCK)
	$(BIN)/pip install -q --disable-pip-version-check --no-deps --no-build-isolation -e .
	touch $(STAMP)

# Deliberate refresh of the lock after editing pyproject.toml (see README "Dependencies").
lock:
	test -d .venv-lock || $(PY) -m venv .venv-lock
	.venv-lock/bin/pip install -q uv==$(UV_VERSION)
	.venv-lock/bin/python scripts/lock.py .venv-lock/bin/uv

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
	rm -rf $(VENV) .venv-lock data/store out
