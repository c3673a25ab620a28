"""otelkit: OpenTelemetry spans, logs and metrics that all carry the same job, session and
correlation IDs, exported to an ADOT collector.

Nothing happens at import time; call ``otelkit.configure()`` once at start-up.
"""

from typing import TYPE_CHECKING, Any

from otelkit._correlation.ids import bind, carry, ids, new_id
from otelkit._logs.logger import Logger, get_logger
from otelkit._metering.metrics import count, gauge, record, timed
from otelkit._public import load_on_first_use, publish
from otelkit._setup import configure, flush, shutdown
from otelkit._tracing.spans import span, traced
from otelkit._version import __version__

__all__ = [
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

publish(__name__, globals(), __all__)

if TYPE_CHECKING:
    from otelkit import aws
    from otelkit._logs.failure_lines import api_error, auth_failure
    from otelkit._logs.throttle import throttled
    from otelkit._scopes.lifecycle import event, job, session
    from otelkit._scopes.lifecycle_spec import Lifecycle
    from otelkit._scopes.scope import Job, Session
    from otelkit.runtime import start_http_server

#: Public names whose modules load on first use, by defining module: a Lambda function
#: that opens no job or session (or writes no failure line, or serves no endpoints) does
#: not pay for them at its cold start.
_ON_FIRST_USE = {
    "api_error": "otelkit._logs.failure_lines",
    "auth_failure": "otelkit._logs.failure_lines",
    "throttled": "otelkit._logs.throttle",
    "event": "otelkit._scopes.lifecycle",
    "job": "otelkit._scopes.lifecycle",
    "session": "otelkit._scopes.lifecycle",
    "Lifecycle": "otelkit._scopes.lifecycle_spec",
    "Job": "otelkit._scopes.scope",
    "Session": "otelkit._scopes.scope",
    "start_http_server": "otelkit.runtime",
}


def __getattr__(name: str) -> Any:
    if name in _ON_FIRST_USE:
        return load_on_first_use(__name__, name, _ON_FIRST_USE[name])
    # ``otelkit.aws`` pulls in the AWS integrations: loaded on first use, not at import.
    if name == "aws":
        import otelkit.aws

        return otelkit.aws
    raise AttributeError(f"module 'otelkit' has no attribute {name!r}")
