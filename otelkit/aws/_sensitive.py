"""Member names that AWS service models mark ``sensitive``, learnt per service on first use.

botocore logs request parameters and response bodies at DEBUG. Its service models flag
the members that hold secrets (Secrets Manager's ``SecretString``, SSM's ``Value``,
STS's ``SessionToken``); otelkit reads those flags the first time a service is called
and redacts those members in the AWS SDK's log texts from then on.
"""

from __future__ import annotations

import threading
from typing import Any

from otelkit._core.safety import report_internal_error
from otelkit._redaction import scrub as _scrub

_learnt: set[str] = set()
_lock = threading.Lock()
_session: Any = None


def sensitive_members(service_model: Any) -> set[str]:
    """Names of the structure members whose shape the model marks ``sensitive``."""
    names: set[str] = set()
    for shape_name in service_model.shape_names:
        members = getattr(service_model.shape_for(shape_name), "members", None) or {}
        for member_name, member_shape in members.items():
            if member_shape.metadata.get("sensitive"):
                names.add(member_name)
    return names


def learn(service: str) -> None:
    """Register the sensitive members of ``service`` (a botocore service name), once."""
    global _session
    if service in _learnt:
        return  # the per-call cost: one set lookup
    with _lock:
        if service in _learnt:
            return
        _learnt.add(service)
        import botocore.session
        from botocore.exceptions import UnknownServiceError

        try:
            if _session is None:
                _session = botocore.session.get_session()
            model = _session.get_service_model(service)
        except UnknownServiceError:
            return  # a name botocore's loader does not know: the name patterns still apply
        try:
            _scrub.add_sensitive_members(sensitive_members(model))
        except Exception as exc:
            report_internal_error(f"reading the {service} service model", exc)
