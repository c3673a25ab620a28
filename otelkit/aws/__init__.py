"""AWS entry points: Lambda handlers and SQS/SNS message context."""

from otelkit._public import publish
from otelkit.aws import correlation_paths
from otelkit.aws._consume import process_message, process_messages
from otelkit.aws._lambda import lambda_handler
from otelkit.aws._messages import context_from_message

__all__ = [
    "context_from_message",
    "correlation_paths",
    "lambda_handler",
    "process_message",
    "process_messages",
]

publish(__name__, globals(), __all__)
