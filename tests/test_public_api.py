"""The public surface is a contract: adding or removing a name must be deliberate."""

from __future__ import annotations

import subprocess
import sys

import otelkit


def test_all_is_pinned() -> None:
    assert otelkit.__all__ == [
        "Job",
        "Lifecycle",
        "Logger",
        "Session",
        "__version__",
        "api_error",
        "auth_failure",
        "aws",
        "bind",
        "carry",
        "configure",
        "count",
        "event",
        "flush",
        "gauge",
        "get_logger",
        "ids",
        "job",
        "new_id",
        "record",
        "session",
        "shutdown",
        "span",
        "start_http_server",
        "throttled",
        "timed",
        "traced",
    ]
    assert sorted(otelkit.__all__) == otelkit.__all__
    for name in otelkit.__all__:
        assert hasattr(otelkit, name)


def test_import_has_no_side_effects() -> None:
    """Importing otelkit sets no provider, adds no handler and imports no SDK or integration."""
    code = (
        "import logging, sys, otelkit\n"
        "from opentelemetry import trace\n"
        "assert not logging.getLogger().handlers, logging.getLogger().handlers\n"
        "assert type(trace.get_tracer_provider()).__name__ == 'ProxyTracerProvider'\n"
        "loaded = [m for m in ('opentelemetry.sdk', 'botocore', 'httpx', 'grpc',\n"
        "          'opentelemetry.instrumentation.botocore') if m in sys.modules]\n"
        "assert not loaded, loaded\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_configure_does_not_import_unused_integrations() -> None:
    code = (
        "import sys, otelkit\n"
        "otelkit.configure(log_stdout=False, console=False)\n"
        "loaded = [m for m in ('botocore', 'httpx', 'grpc') if m in sys.modules]\n"
        "assert not loaded, loaded\n"
        "import importlib.util\n"
        "assert importlib.util.find_spec('httpx') is not None  # looking is not importing\n"
        "otelkit.configure(log_stdout=False, console=False)  # again: the hook survives\n"
        "import httpx\n"
        "assert 'opentelemetry.instrumentation.httpx' in sys.modules, 'instrumented on import'\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
