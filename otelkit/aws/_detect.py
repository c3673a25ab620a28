"""Which service invoked a Lambda function: a table of detectors, tried in order.

Each detector looks for the fields only its source's events have and returns a
``Source`` or None. The order settles the few overlaps: authorizers before requests
(a REQUEST authorizer carries a whole request), WebSocket routes before REST requests,
function-level shapes before the generic ``Records`` and EventBridge ones. Anything
unrecognised, including events that are not JSON objects, is a direct invocation.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from otelkit.aws import _http_sources, _record_sources, _service_sources
from otelkit.aws._sources import DIRECT, Source

Detector = Callable[[Mapping[str, Any]], Source | None]

DETECTORS: tuple[Detector, ...] = (
    _http_sources.authorizer,
    _http_sources.websocket,
    _http_sources.alb,
    _http_sources.http_api,
    _http_sources.rest_api,
    _http_sources.vpc_lattice,
    _http_sources.cloudfront,
    _record_sources.records_source,
    _record_sources.top_level_source,
    _service_sources.eventbridge,
    _service_sources.appsync_resolver,
    _service_sources.alexa_smart_home,
    _service_sources.service_source,
)


def detect(event: object) -> Source:
    """The source of ``event``; ``direct`` for anything unrecognised."""
    if isinstance(event, list):  # AppSync batch resolvers send a list of calls
        return _service_sources.appsync_resolver(event) or Source(*DIRECT)
    if not isinstance(event, Mapping):
        return Source(*DIRECT)
    for detector in DETECTORS:
        found = detector(event)
        if found is not None:
            return found
    return Source(*DIRECT)
