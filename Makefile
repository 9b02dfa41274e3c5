# The two commands of the README: `make site` and `make test`.
# Both create or refresh .venv/ themselves, only when pyproject.toml changed.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: site test lint bench publish clean

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@touch $(STAMP)

venv: $(STAMP)

site: $(STAMP)
	$(BIN)/python -m tools.build_site

test: $(STAMP)
	$(BIN)/python -m pytest

lint: $(STAMP)
	$(BIN)/ruff check src tests benchmarks autograder tools

bench: $(STAMP)
	$(BIN)/python -m benchmarks

clean:
	rm -rf book/_build
