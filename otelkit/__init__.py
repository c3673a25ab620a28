"""otelkit: OpenTelemetry spans, logs and metrics that all carry the same job, session and
correlation IDs, exported to an ADOT collector.

Nothing happens at import time; call ``otelkit.configure()`` once at start-up.
"""

from otelkit import aws
from otelkit._ids import bind, carry, ids, new_id
from otelkit._lifecycle import event, job, session
from otelkit._logging import get_logger
from otelkit._metrics import count, record, timed
from otelkit._setup import configure, flush, shutdown
from otelkit._spans import span, traced
from otelkit._version import __version__

__all__ = [
    "__version__",
    "aws",
    "bind",
    "carry",
    "configure",
    "count",
    "event",
    "flush",
    "get_logger",
    "ids",
    "job",
    "new_id",
    "record",
    "session",
    "shutdown",
    "span",
    "timed",
    "traced",
]
