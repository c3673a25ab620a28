# otelkit developer commands. `make demo` and `make test` are the two a newcomer needs.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: install system-deps demo test test-fast lint format typecheck bench docs clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)  ## create .venv with otelkit and its dev tools

# The tests talk to a real redis-server and check alerting rules with promtool; install
# Debian's packages when they are missing.
system-deps:
	@command -v redis-server >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ]; then sudo=; else sudo=sudo; fi; \
	  echo "installing redis-server (Debian package) for the tests"; \
	  $$sudo apt-get update -qq && \
	  $$sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq redis-server >/dev/null; }
	@command -v promtool >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ]; then sudo=; else sudo=sudo; fi; \
	  echo "installing prometheus (Debian package) for promtool, which checks /metrics and alerting rules"; \
	  $$sudo apt-get update -qq && \
	  $$sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
	    prometheus >/dev/null; }

# checkov pins packages (packaging<24) that clash with the dev tools: its own venv.
CHECKOV := $(VENV)/checkov/bin/checkov
$(CHECKOV):
	$(PYTHON) -m venv $(VENV)/checkov
	$(VENV)/checkov/bin/python -m pip install --quiet 'checkov>=3.2,<4'

demo: $(STAMP)  ## run the instrumented video pipeline demo (no AWS account needed)
	$(BIN)/python examples/video_pipeline.py

test: $(STAMP) system-deps $(CHECKOV)  ## lint, type-check, check import contracts and run the tests
	$(BIN)/ruff check otelkit tests examples benchmarks
	$(BIN)/ruff format --check otelkit tests examples benchmarks
	$(BIN)/mypy
	$(BIN)/lint-imports
	$(BIN)/pytest

test-fast: $(STAMP) system-deps  ## the test suite without the slow tests: the quick loop
	$(BIN)/pytest -m "not slow"

lint: $(STAMP)
	$(BIN)/ruff check otelkit tests examples benchmarks
	$(BIN)/ruff format --check otelkit tests examples benchmarks
	$(BIN)/lint-imports

typecheck: $(STAMP)
	$(BIN)/mypy

bench: $(STAMP)  ## measure every hot path against its baseline; rewrites docs/benchmarks.md's table
	$(BIN)/python benchmarks/run.py --markdown docs/benchmarks.md

docs: $(STAMP)  ## regenerate the generated parts of docs/ (the settings table)
	$(BIN)/python -m otelkit._settings_doc docs/configuration.md

format: $(STAMP)  ## apply the code format that `make test` checks
	$(BIN)/ruff format otelkit tests examples benchmarks

clean:
	rm -rf $(VENV) .mypy_cache .pytest_cache .ruff_cache .hypothesis .import_linter_cache
