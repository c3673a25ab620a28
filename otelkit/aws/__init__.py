"""AWS entry points: Lambda handlers and SQS/SNS message context."""

from typing import TYPE_CHECKING, Any

from otelkit._public import load_on_first_use, publish
from otelkit.aws import correlation_paths
from otelkit.aws._lambda import lambda_handler

if TYPE_CHECKING:
    from otelkit.aws._consume import process_message, process_messages
    from otelkit.aws._messages import context_from_message

__all__ = [
    "context_from_message",
    "correlation_paths",
    "lambda_handler",
    "process_message",
    "process_messages",
]

publish(__name__, globals(), __all__)

#: Message consumers load on first use, by defining module: a function invoked over HTTP
#: or directly does not pay for the SQS/SNS machinery at its cold start.
_ON_FIRST_USE = {
    "process_message": "otelkit.aws._consume",
    "process_messages": "otelkit.aws._consume",
    "context_from_message": "otelkit.aws._messages",
}


def __getattr__(name: str) -> Any:
    if name in _ON_FIRST_USE:
        return load_on_first_use(__name__, name, _ON_FIRST_USE[name])
    raise AttributeError(f"module 'otelkit.aws' has no attribute {name!r}")
