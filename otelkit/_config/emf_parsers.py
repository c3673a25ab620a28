"""Setting parsers for EMF: the CloudWatch namespace and the storage resolution.

They sit with the settings, not with the EMF rules in ``otelkit._metering.emf_rules``: a
bad namespace is a configuration error raised by ``configure()``, and the settings table
must not reach up into the metrics wing (which reports through the safety net, which
reads the settings).
"""

from __future__ import annotations

import re
from typing import Any

MAX_NAMESPACE = 255

_NAMESPACE = re.compile(r"[0-9A-Za-z.\-_/#: ]{1,255}")


def namespace(source: str, value: Any) -> str:
    """A setting parser: ``value`` if CloudWatch takes it as a namespace, else ``ValueError``."""
    found = str(value)
    problem = _namespace_problem(found)
    if problem:
        raise ValueError(f"{source}={found!r:.80} is not a CloudWatch namespace: {problem}")
    return found


def _namespace_problem(name: str) -> str | None:
    if not name.strip():
        return "it needs at least one character other than a space"
    if len(name) > MAX_NAMESPACE:
        return f"it has {len(name)} characters, at most {MAX_NAMESPACE} are allowed"
    if not _NAMESPACE.fullmatch(name):
        return "use only letters, digits, space and . - _ / # :"
    if name.startswith(":"):
        return "it must not start with ':'"
    if name.startswith("AWS/"):
        return "names starting with 'AWS/' are reserved for AWS services"
    return None


def storage_resolution(source: str, value: Any) -> int:
    """A setting parser: 1 (high-resolution metrics) or 60 (standard)."""
    text = str(value).strip()
    if isinstance(value, bool) or text not in ("1", "60"):
        raise ValueError(f"{source}={value!r:.80} must be 1 (high resolution) or 60 (standard)")
    return int(text)
