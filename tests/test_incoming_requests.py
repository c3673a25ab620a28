"""Request-log settings shared by the ASGI and WSGI middleware, and their missing extras."""

from __future__ import annotations

import importlib
import re
import sys

import pytest

from otelkit._requests.incoming import RequestLog


@pytest.mark.parametrize(
    ("method", "path", "quiet"),
    [
        ("GET", "/health", True),
        ("HEAD", "/healthz", True),
        ("GET", "/ready", True),
        ("GET", "/api/v1/jobs/job-1", True),
        ("DELETE", "/api/v1/jobs/job-1", False),
        ("GET", "/api/v1/jobs/job-1/logs", False),
        ("GET", "/api/v1/jobs", False),
        ("GET", "/static/css/site.css", True),
        ("POST", "/internal/anything/deep", True),
        ("GET", "/healthcheck", False),
    ],
)
def test_quiet_patterns_are_method_aware_segment_globs_or_regexes(
    method: str, path: str, quiet: bool
) -> None:
    log = RequestLog(
        (
            "/health",
            "/healthz",
            "/ready",
            "GET /api/v1/jobs/{id}",
            "/static/**",
            re.compile(r"/internal/.*"),
        )
    )
    assert log.is_quiet(method, path) is quiet


def test_a_single_pattern_string_is_one_pattern_not_characters() -> None:
    assert RequestLog("/health").is_quiet("GET", "/health")
    assert not RequestLog("/health").is_quiet("GET", "/")


def test_invalid_pattern_is_rejected() -> None:
    with pytest.raises(ValueError, match="quiet path pattern"):
        RequestLog(("",))


@pytest.mark.parametrize(
    ("module", "extra"),
    [
        ("otelkit.middleware.asgi", "otelkit[asgi]"),
        ("otelkit.middleware.wsgi", "otelkit[wsgi]"),
    ],
)
def test_missing_upstream_names_the_extra(
    monkeypatch: pytest.MonkeyPatch, module: str, extra: str
) -> None:
    upstream = "opentelemetry.instrumentation." + module.rsplit(".", 1)[1]
    monkeypatch.setitem(sys.modules, upstream, None)  # what an absent package looks like
    monkeypatch.delitem(sys.modules, module, raising=False)
    with pytest.raises(ImportError, match=re.escape(extra)):
        importlib.import_module(module)
