# otelkit developer commands. `make demo` and `make test` are the two a newcomer needs.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: install demo test lint typecheck check bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)  ## create .venv with otelkit and its dev tools

demo: $(STAMP)  ## run the instrumented video pipeline demo (no AWS account needed)
	$(BIN)/python examples/video_pipeline.py

test: $(STAMP)  ## lint, type-check and run the test suite
	$(BIN)/ruff check otelkit tests examples benchmarks
	$(BIN)/mypy
	$(BIN)/pytest

lint: $(STAMP)
	$(BIN)/ruff check otelkit tests examples benchmarks

typecheck: $(STAMP)
	$(BIN)/mypy

bench: $(STAMP)  ## print hot-path cost ratios against the bare OpenTelemetry SDK
	$(BIN)/python benchmarks/run.py

clean:
	rm -rf $(VENV) .mypy_cache .pytest_cache .ruff_cache
