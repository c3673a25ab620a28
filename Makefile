# otelkit developer commands. `make demo` and `make test` are the two a newcomer needs.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
DEMO_STAMP := $(VENV)/.demo-installed

# Long steps say what they do, then print a line a minute until they finish (a cold Go
# build takes minutes on two cores): $(call progress,what,command).
define progress
	@echo "$(1): started at $$(date +%H:%M:%S)"; start=$$(date +%s); \
	( while sleep 60; do echo "  $(1): still running, $$(( $$(date +%s) - start )) s"; done ) & \
	ticker=$$!; trap 'kill $$ticker 2>/dev/null' EXIT; \
	$(2); status=$$?; kill $$ticker 2>/dev/null; \
	echo "$(1): done in $$(( $$(date +%s) - start )) s (exit $$status)"; exit $$status
endef

.PHONY: install system-deps demo collector-keys test test-fast lint format typecheck bench docs pictures collector clean lambda-layer

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(call progress,installing otelkit and its dev tools into $(VENV),\
	  $(BIN)/python -m pip install --quiet -e '.[all]' --group dev)
	touch $(STAMP)

install: $(STAMP)  ## create .venv with otelkit and its dev tools

# The demo needs only the `demo` group (no test or lint tools): a much shorter first run.
# Dependency groups need pip 25.1 or later.
$(DEMO_STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade 'pip>=25.1'
	$(BIN)/python -m pip install --quiet -e '.[botocore,httpx,asgi,redis,runtime,system-metrics]' --group demo
	touch $(DEMO_STAMP)

# Debian packages the tests run, each as `command:packages` (the command shows they are
# there; PostgreSQL's live under /usr/lib/postgresql/*/bin): redis-server for the Redis
# tests, chromium and a font for the dashboard preview's screenshot, PostgreSQL for the
# psycopg and asyncpg integrations, promtool for /metrics and the alerting rules. One
# apt-get for all that is missing.
SYSTEM_DEPS := redis-server:redis-server chromium:chromium,fonts-liberation \
  initdb:postgresql promtool:prometheus
APT_GET ?= apt-get

system-deps:
	@missing=; for dep in $(SYSTEM_DEPS); do \
	  command -v $${dep%%:*} >/dev/null 2>&1 || ls /usr/lib/postgresql/*/bin/$${dep%%:*} \
	    >/dev/null 2>&1 || missing="$$missing $$(echo $${dep#*:} | tr , ' ')"; \
	done; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ]; then sudo=; else sudo=sudo; fi; \
	  echo "installing Debian packages the tests use:$$missing"; \
	  $$sudo $(APT_GET) update -qq && \
	  $$sudo env DEBIAN_FRONTEND=noninteractive $(APT_GET) install -y -qq \
	    --no-install-recommends $$missing >/dev/null; \
	fi

# checkov pins packages (packaging<24) that clash with the dev tools: its own venv.
CHECKOV := $(VENV)/checkov/bin/checkov
CHECKOV_SPEC := checkov>=3.2,<4
$(CHECKOV):
	$(PYTHON) -m venv $(VENV)/checkov
	$(call progress,installing checkov into $(VENV)/checkov,\
	  $(VENV)/checkov/bin/python -m pip install --quiet '$(CHECKOV_SPEC)')

demo: $(DEMO_STAMP)  ## run the instrumented video pipeline demo (no AWS account needed)
	$(BIN)/python examples/video_pipeline.py

# A real collector for the tests: ADOT v0.49's components built from the upstream Go
# modules (collector/distribution). Go's module and build caches make rebuilds fast.
COLLECTOR     := build/otelcol-otelkit
COLLECTOR_SRC := collector/distribution

collector: $(COLLECTOR)  ## build the test collector at build/otelcol-otelkit (needs Go)

$(COLLECTOR): $(wildcard $(COLLECTOR_SRC)/*.go) $(COLLECTOR_SRC)/go.mod $(COLLECTOR_SRC)/go.sum
	@mkdir -p build
	$(call progress,building $(COLLECTOR) (minutes on a cold Go cache),\
	  cd $(COLLECTOR_SRC) && GOFLAGS=-mod=readonly go build -o ../../$(COLLECTOR) .)

# `otelkit collector check` knows each component's keys from the built collector itself.
collector-keys: $(COLLECTOR)  ## regenerate otelkit/collector/component_keys.json from the build
	$(COLLECTOR) keys > otelkit/collector/component_keys.json

# The real Lambda runtime for the tests: the AWS Lambda Runtime Interface Emulator, built
# from the Go module proxy at a pinned version; handlers run under awslambdaric in it.
RIE         := build/aws-lambda-rie
RIE_MODULE  := github.com/aws/aws-lambda-runtime-interface-emulator/cmd/aws-lambda-rie
RIE_VERSION := v0.0.0-20261030222936-bef5c4ba774d

$(RIE):
	@mkdir -p $(dir $(RIE))
	$(call progress,building $(RIE) at $(RIE_VERSION) from the Go module proxy,\
	  GOBIN=$(abspath $(dir $(RIE))) GOFLAGS=-mod=mod go install $(RIE_MODULE)@$(RIE_VERSION))

# A Lambda layer: otelkit and its runtime dependencies (Linux wheels for the layer's
# Python, LAYER_PYTHON's version) under python/, with bytecode that needs no source mtime
# (a zip keeps mtimes to 2 s: timestamp-checked .pyc files would be recompiled, and /opt
# is read-only). Deploy with: aws lambda publish-layer-version --zip-file fileb://$(LAYER)
LAYER        ?= build/otelkit-lambda-layer.zip
LAYER_PYTHON ?= $(BIN)/python
LAYER_ARCH   ?= x86_64
lambda-layer:  ## build the Lambda layer zip (build/otelkit-lambda-layer.zip)
	@rm -rf $(LAYER).d && mkdir -p $(LAYER).d
	$(LAYER_PYTHON) -m pip wheel --quiet --no-deps --wheel-dir $(LAYER).d/wheel .
	$(LAYER_PYTHON) -m pip install --quiet --no-compile --target $(LAYER).d/python \
	  --platform manylinux2014_$(LAYER_ARCH) --implementation cp --only-binary=:all: \
	  --python-version $$($(LAYER_PYTHON) -c 'import sys; print("%d.%d" % sys.version_info[:2])') \
	  $(LAYER).d/wheel/*.whl
	rm -rf $(LAYER).d/python/bin
	$(LAYER_PYTHON) -m compileall -q -j0 --invalidation-mode unchecked-hash $(LAYER).d/python
	rm -f $(LAYER) && cd $(LAYER).d && $(abspath $(LAYER_PYTHON)) -m zipfile -c $(abspath $(LAYER)) python
	rm -rf $(LAYER).d
	@echo "built $(LAYER) ($$(du -k $(LAYER) | cut -f1) KB)"

test: $(STAMP) system-deps $(COLLECTOR) $(CHECKOV) $(RIE)  ## lint, type-check, check import contracts and run the tests
	$(BIN)/ruff check otelkit tests examples benchmarks
	$(BIN)/ruff format --check otelkit tests examples benchmarks
	$(BIN)/mypy
	$(BIN)/mypy examples benchmarks  # apart: they import their helpers as top-level modules
	$(BIN)/lint-imports
	$(BIN)/pytest

test-fast: $(STAMP) system-deps $(RIE)  ## the test suite without the slow tests: the quick loop
	$(BIN)/pytest -m "not slow"

lint: $(STAMP)
	$(BIN)/ruff check otelkit tests examples benchmarks
	$(BIN)/ruff format --check otelkit tests examples benchmarks
	$(BIN)/lint-imports

typecheck: $(STAMP)
	$(BIN)/mypy
	$(BIN)/mypy examples benchmarks

bench: $(STAMP) $(RIE) $(COLLECTOR)  ## measure every hot path against its baseline; rewrites the generated tables in docs/
	@# Every table is rewritten; a missed goal then fails the target.
	$(BIN)/python benchmarks/run.py --markdown docs/benchmarks.md; missed=$$?; \
	$(BIN)/python benchmarks/faults.py --markdown docs/benchmarks.md && \
	$(BIN)/python benchmarks/redaction_cost.py --markdown docs/benchmarks.md && \
	LAMBDA_RIE=$(RIE) $(BIN)/python benchmarks/lambda_runtime.py --markdown docs/benchmarks.md && \
	$(BIN)/python benchmarks/lambda_footprint.py --markdown docs/benchmarks.md && \
	$(BIN)/python benchmarks/ratio_chart.py docs/benchmarks.md docs/benchmark-ratios.svg && \
	WRITE_DOC_TABLES=1 $(BIN)/python -m pytest -q -p no:cacheprovider \
		tests/collector/test_collector_faults.py tests/collector/test_collector_gateway.py && \
	exit $$missed

# The pictures in docs/: the dashboard preview's screenshot (headless Chromium, from
# system-deps) and the console trace block; `make bench` draws the ratio chart.
pictures: $(STAMP) system-deps  ## regenerate docs/images/dashboard-preview.png and the console trace in docs/
	$(BIN)/python -m tests.support.pictures

docs: $(STAMP)  ## regenerate the settings table in docs/, then build the site (site/, strict)
	$(BIN)/python -m otelkit._config.doc docs/configuration.md
	NO_MKDOCS_2_WARNING=1 $(BIN)/mkdocs build --strict --quiet

format: $(STAMP)  ## apply the code format that `make test` checks
	$(BIN)/ruff format otelkit tests examples benchmarks

clean:
	rm -rf $(VENV) .mypy_cache .pytest_cache .ruff_cache .hypothesis .import_linter_cache
