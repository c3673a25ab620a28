"""Checks for exporters that authenticate, and for the AWS OTLP endpoints they sign for.

``validate`` accepts an exporter whose authenticator extension is declared but not
enabled under ``service.extensions``; the collector then refuses to start ("failed to
resolve authenticator"). The AWS OTLP endpoints answer 403 to a request signed for the
wrong service or not signed at all, and the logs endpoint refuses a request without
its log group and stream headers. All of it is visible in the config.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from otelkit.collector._components import component_type
from otelkit.collector._yaml import Path

#: ``https://xray.<region>.amazonaws.com/…`` -> the service a signature must name.
_AWS_OTLP_HOST = re.compile(r"^https://(?P<service>xray|logs)\.[^/]+\.amazonaws\.com(/|$)")
_ENDPOINT_KEYS = ("endpoint", "traces_endpoint", "logs_endpoint", "metrics_endpoint")
_LOG_HEADERS = ("x-aws-log-group", "x-aws-log-stream")

Finding = tuple[Path, str]


def auth_problems(
    cid: str,
    settings: dict[str, Any],
    extensions: dict[str, dict[str, Any]],
    enabled: list[str],
) -> Iterator[Finding]:
    """What is wrong with how exporter ``cid`` authenticates and where it signs for."""
    base: Path = ("exporters", cid)
    auth = settings.get("auth")
    authenticator = str(auth.get("authenticator", "")) if isinstance(auth, dict) else ""
    if authenticator:
        path: Path = (*base, "auth", "authenticator")
        if authenticator not in extensions:
            yield (
                path,
                f"exporter '{cid}' authenticates with undeclared extension '{authenticator}'",
            )
        elif authenticator not in enabled:
            yield (
                path,
                f"exporter '{cid}' authenticates with '{authenticator}', which is not listed "
                "in service.extensions: the collector fails at start (authenticator not found)",
            )
    for key in _ENDPOINT_KEYS:
        found = _AWS_OTLP_HOST.match(str(settings.get(key, "")))
        if found is not None:
            yield from _aws_endpoint_problems(
                cid, settings, key, found["service"], authenticator, extensions
            )


def _aws_endpoint_problems(
    cid: str,
    settings: dict[str, Any],
    key: str,
    service: str,
    authenticator: str,
    extensions: dict[str, dict[str, Any]],
) -> Iterator[Finding]:
    path: Path = ("exporters", cid, key)
    if component_type(authenticator) != "sigv4auth":
        yield (
            path,
            f"exporter '{cid}' sends to the AWS {service} OTLP endpoint, which accepts only "
            "requests signed with SigV4: set auth.authenticator to a sigv4auth extension",
        )
        return
    signer = extensions.get(authenticator) or {}
    named = signer.get("service")
    if named is not None and str(named) != service:
        yield (
            ("extensions", authenticator, "service"),
            f"extension '{authenticator}' signs for service '{named}', but exporter '{cid}' "
            f"sends to the {service} endpoint, which refuses that signature",
        )
    if service == "logs":
        headers = settings.get("headers")
        present = {str(h).lower() for h in headers} if isinstance(headers, dict) else set()
        for header in _LOG_HEADERS:
            if header not in present:
                yield (
                    ("exporters", cid),
                    f"exporter '{cid}' sends to the CloudWatch Logs OTLP endpoint without the "
                    f"'{header}' header, which names where the logs go",
                )
