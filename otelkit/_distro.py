"""Zero-code launch: otelkit as an OpenTelemetry distro and configurator.

``opentelemetry-instrument python app.py`` (the ``opentelemetry-instrumentation``
package) loads the first ``opentelemetry_distro`` entry point, then the
``opentelemetry_configurator``, then every installed instrumentor through the distro. As
both, otelkit builds its own pipeline from the environment (what ``configure()`` with no
arguments builds), so every auto-instrumented span goes through otelkit's providers and
carries the bound IDs. ``otelkit run -- python app.py`` does the same without the user
naming the distro (``_run_cli``).
"""

from __future__ import annotations

import importlib.util
import os
from typing import Any

from opentelemetry.instrumentation.distro import BaseDistro  # type: ignore[attr-defined]

from otelkit import _integrations
from otelkit._core.report_lines import write_report
from otelkit._values import semconv as _semconv

#: What the user's environment would otherwise not say: which distro and configurator.
ENTRY_POINT_NAME = "otelkit"


def autoconfigure() -> None:
    """``configure()`` from the environment alone, as a program started with no code does.

    The OpenTelemetry distro sets ``OTEL_EXPORTER_OTLP_PROTOCOL=grpc``; without the
    ``grpc`` extra that would stop the program, so otelkit says so once and uses
    OTLP/HTTP.
    """
    import otelkit

    _semconv.prefer_stable()
    try:
        otelkit.configure()
    except ImportError as exc:
        if "gRPC" not in str(exc):
            raise
        write_report(f"{exc}; using OTLP/HTTP (http/protobuf) instead")
        otelkit.configure(protocol="http/protobuf")


#: The upstream module behind each of otelkit's integrations -> the integration
#: (``aiobotocore``'s entry point shares botocore's module).
_OWN_MODULES = {f"opentelemetry.instrumentation.{name}": name for name in _integrations.KNOWN}
_OWN_MODULES["opentelemetry.instrumentation.aiohttp_client"] = "aiohttp"


class OtelkitDistro(BaseDistro):  # type: ignore[misc]  # untyped base
    """The ``opentelemetry_distro`` entry point."""

    def _configure(self, **kwargs: Any) -> None:
        # Before any instrumentor is loaded: they read it when the first one starts.
        _semconv.prefer_stable()

    def load_instrumentor(self, entry_point: Any, **kwargs: Any) -> None:
        """Every installed instrumentor; those of the libraries otelkit has an integration
        for are turned on the way ``configure(instrument=...)`` does (with otelkit's
        hooks, when the library is imported), and system metrics are left to the
        ``system_metrics`` setting."""
        module = str(entry_point.value).partition(":")[0]
        own = _OWN_MODULES.get(module)
        if own is not None:
            if importlib.util.find_spec(_integrations.KNOWN[own]) is not None:
                _integrations.enable([own])
            return
        if entry_point.name == "system_metrics":
            return
        super().load_instrumentor(entry_point, **kwargs)


class OtelkitConfigurator:
    """The ``opentelemetry_configurator`` entry point: builds otelkit's pipeline."""

    attempted = False

    def configure(self, **kwargs: Any) -> None:
        OtelkitConfigurator.attempted = True
        try:
            autoconfigure()
        except Exception as exc:  # upstream would log it with its traceback, unredacted
            write_report(f"telemetry not set up: {exc}")  # the program runs anyway


def start() -> None:
    """What ``otelkit run`` runs in the program's interpreter before the program."""
    os.environ["OTEL_PYTHON_DISTRO"] = ENTRY_POINT_NAME
    os.environ["OTEL_PYTHON_CONFIGURATOR"] = ENTRY_POINT_NAME
    _semconv.prefer_stable()
    from opentelemetry.instrumentation.auto_instrumentation import initialize

    from otelkit import _setup

    initialize()
    if _setup._configured is None and not OtelkitConfigurator.attempted:
        autoconfigure()  # otelkit's entry points are not installed
