"""The request options of one signal's OTLP/HTTP export, read once when it is built.

The standard ``OTEL_EXPORTER_OTLP_*`` headers, compression and TLS files (the signal's
own variable first, then the general one, as the OpenTelemetry specification defines
them), and what HTTP clients take from the environment: a proxy (``https_proxy``,
``http_proxy``, ``no_proxy``) and a ``.netrc`` entry for the collector's host.
"""

from __future__ import annotations

import base64
import os
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from otelkit import _version

if TYPE_CHECKING:  # loaded only when the environment names TLS files
    import ssl

#: Identifies the exporter to the collector, as the SDK's exporters do theirs.
USER_AGENT = f"otelkit/{_version.__version__}"


def _setting(signal: str, name: str) -> str | None:
    """``OTEL_EXPORTER_OTLP_<SIGNAL>_<NAME>``, else ``OTEL_EXPORTER_OTLP_<NAME>``."""
    return os.environ.get(f"OTEL_EXPORTER_OTLP_{signal.upper()}_{name}") or os.environ.get(
        f"OTEL_EXPORTER_OTLP_{name}"
    )


def headers(signal: str) -> dict[str, str]:
    """Headers for every request of ``signal`` (``traces``, ``logs``, ``metrics``)."""
    from opentelemetry.util.re import parse_env_headers

    found = {"User-Agent": USER_AGENT}
    found.update(parse_env_headers(_setting(signal, "HEADERS") or "", liberal=True))
    return found


def compression(signal: str) -> str:
    """``gzip``, ``deflate`` or ``none`` (an unknown value: ``none``, as the SDK does)."""
    value = (_setting(signal, "COMPRESSION") or "none").strip().lower()
    return value if value in ("gzip", "deflate") else "none"


def tls(signal: str) -> ssl.SSLContext | None:
    """The TLS context for an https endpoint: the CA file and client certificate the
    environment names, or None for the system's defaults."""
    ca_file = _setting(signal, "CERTIFICATE")
    client_cert = _setting(signal, "CLIENT_CERTIFICATE")
    client_key = _setting(signal, "CLIENT_KEY")
    if not (ca_file or client_cert):
        return None
    import ssl

    context = ssl.create_default_context(cafile=ca_file)
    if client_cert:
        context.load_cert_chain(client_cert, client_key)
    return context


def proxy(url: str) -> str | None:
    """The proxy URL the environment names for ``url``, or None (also when ``no_proxy``
    covers its host)."""
    if not any(name.lower().endswith("_proxy") for name in os.environ):
        return None  # the usual case: urllib.request is not imported
    import urllib.request

    parts = urlsplit(url)
    found = urllib.request.getproxies_environment().get(parts.scheme)
    bypass = urllib.request.proxy_bypass_environment  # type: ignore[attr-defined]  # untyped
    if not found or bypass(parts.netloc):
        return None
    return found if "://" in found else f"http://{found}"


def netrc_authorization(url: str) -> str | None:
    """A Basic ``Authorization`` value from the ``.netrc`` entry of ``url``'s host
    (``NETRC`` names the file; else ``~/.netrc``), or None."""
    import netrc

    path = os.environ.get("NETRC") or os.path.expanduser("~/.netrc")
    host = urlsplit(url).hostname
    if not host or not os.path.isfile(path):
        return None
    try:
        found = netrc.netrc(path).authenticators(host)
    except (OSError, netrc.NetrcParseError):
        return None
    if not found:
        return None
    login, _, password = found
    token = base64.b64encode(f"{login}:{password or ''}".encode()).decode()
    return f"Basic {token}"
