# otelkit developer commands. `make demo` and `make test` are the two a newcomer needs.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: install system-deps demo test lint typecheck bench collector clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)  ## create .venv with otelkit and its dev tools

# The tests talk to a real redis-server; install Debian's package when it is missing.
system-deps:
	@command -v redis-server >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ]; then sudo=; else sudo=sudo; fi; \
	  echo "installing redis-server (Debian package) for the tests"; \
	  $$sudo apt-get update -qq && \
	  $$sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq redis-server >/dev/null; }

demo: $(STAMP)  ## run the instrumented video pipeline demo (no AWS account needed)
	$(BIN)/python examples/video_pipeline.py

# A real collector for the tests: ADOT v0.49's components built from the upstream Go
# modules (collector/distribution). Go's module and build caches make rebuilds fast.
COLLECTOR     := build/otelcol-otelkit
COLLECTOR_SRC := collector/distribution

collector: $(COLLECTOR)  ## build the test collector at build/otelcol-otelkit (needs Go)

$(COLLECTOR): $(COLLECTOR_SRC)/main.go $(COLLECTOR_SRC)/go.mod $(COLLECTOR_SRC)/go.sum
	@mkdir -p build
	@start=$$(date +%s); \
	cd $(COLLECTOR_SRC) && GOFLAGS=-mod=readonly go build -o ../../$(COLLECTOR) . && \
	echo "built $(COLLECTOR) in $$(( $$(date +%s) - start )) s"

test: $(STAMP) system-deps $(COLLECTOR)  ## lint, type-check and run the test suite
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
