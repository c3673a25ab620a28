"""Ready-made ``correlation_id_path`` values for the common Lambda event sources.

Example:
    >>> from otelkit.aws import correlation_paths, lambda_handler
    >>> @lambda_handler(correlation_id_path=correlation_paths.API_GATEWAY_REST)
    ... def handler(event, context): ...

Each picks the ID that the event source itself assigns, so the same value is findable
in the source's own logs (API Gateway access logs, the ALB's X-Ray trace header, the
EventBridge event ID, the SQS message ID, the S3 request ID). The paths follow AWS
Lambda Powertools' ``correlation_paths`` where a source has one there.
"""

from __future__ import annotations

#: API Gateway REST API (payload v1): the API Gateway request ID.
API_GATEWAY_REST = "requestContext.requestId"
#: API Gateway HTTP API (payload v2): the API Gateway request ID.
API_GATEWAY_HTTP = "requestContext.requestId"
#: Lambda function URL: the request ID.
LAMBDA_FUNCTION_URL = "requestContext.requestId"
#: Application Load Balancer: the X-Ray trace header the ALB adds.
APPLICATION_LOAD_BALANCER = 'headers."x-amzn-trace-id"'
#: EventBridge: the event ID.
EVENT_BRIDGE = "id"
#: SQS: the first message's ID (each record's own is on its span, ``messaging.message.id``).
SQS = "Records[0].messageId"
#: SNS: the first notification's message ID.
SNS = "Records[0].Sns.MessageId"
#: S3 event notification: the ID of the S3 request that caused it.
S3 = 'Records[0].responseElements."x-amz-request-id"'
#: Any HTTP source: an ``X-Correlation-ID`` header set by the caller (the default for HTTP
#: events even without a path; name it to prefer it over a request-ID path).
X_CORRELATION_ID_HEADER = 'headers."x-correlation-id"'

__all__ = [
    "API_GATEWAY_HTTP",
    "API_GATEWAY_REST",
    "APPLICATION_LOAD_BALANCER",
    "EVENT_BRIDGE",
    "LAMBDA_FUNCTION_URL",
    "S3",
    "SNS",
    "SQS",
    "X_CORRELATION_ID_HEADER",
]
