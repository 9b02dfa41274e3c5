# The two commands of the README: `make site` and `make test`.
# Both create or refresh .venv/ themselves, only when pyproject.toml changed.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: site test lint bench publish clean

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 10))' || \
		{ echo "Python >= 3.10 is needed; run e.g. 'make test PYTHON=python3.11'"; exit 1; }
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@touch $(STAMP)

venv: $(STAMP)

site: $(STAMP)
	$(BIN)/python -m tools.build_site

# Push book/_build/html to the gh-pages branch of `origin` with ghp-import;
# e.g. `make publish PUBLISH_ARGS="--remote upstream"`.
publish: site
	$(BIN)/python -m tools.publish $(PUBLISH_ARGS)

# axe-core (the browser test's accessibility checker) comes from npm, pinned in
# tools/axe_core.py, fetched once into .cache/; without npm the browser test
# says so and skips (fails under CI=true).
test: $(STAMP)
	-$(BIN)/python -m tools.axe_core
	$(BIN)/python -m pytest

lint: $(STAMP)
	$(BIN)/ruff check src tests benchmarks autograder tools

# PyTorch (the `bench` extra) is only needed for the comparison columns.
bench: $(STAMP)
	$(BIN)/python -m pip install --quiet -e '.[dev,bench]'
	$(BIN)/python -m benchmarks

clean:
	rm -rf book/_build
