PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP_RUN := $(VENV)/.installed-run
STAMP_TEST := $(VENV)/.installed-test

.PHONY: demo test lint bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(STAMP_RUN): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e .
	touch $@

$(STAMP_TEST): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $@ $(STAMP_RUN)

demo: $(STAMP_RUN)
	$(BIN)/sesslog demo

test: $(STAMP_TEST)
	PYTHON=$(BIN)/python bash scripts/install-test-deps.sh
	$(BIN)/python -m pytest -q
	$(BIN)/python benchmarks/compare_pi.py --quick
	$(BIN)/ruff check sesslog tests benchmarks fixtures
	$(BIN)/ruff format --check sesslog tests benchmarks fixtures
	$(BIN)/mypy --strict sesslog

lint: $(STAMP_TEST)
	$(BIN)/ruff check sesslog tests benchmarks fixtures
	$(BIN)/ruff format --check sesslog tests benchmarks fixtures
	$(BIN)/mypy --strict sesslog

bench: $(STAMP_RUN)
	$(BIN)/python benchmarks/bench_read.py

clean:
	rm -rf $(VENV) build dist .pytest_cache .mypy_cache .ruff_cache
