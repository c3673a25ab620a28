"""Which service invoked a Lambda function: a table of detectors, tried in order.

Each detector looks for the fields only its source's events have and returns a
``Source`` or None. The order settles the few overlaps: authorizers before requests
(a REQUEST authorizer carries a whole request), WebSocket routes before REST requests,
function-level shapes before the generic ``Records`` and EventBridge ones. Anything
unrecognised, including events that are not JSON objects, is a direct invocation.

Detectors are named by module and function, and a module loads when detection first
reaches it: a function behind API Gateway never loads the record and service tables.
"""

from __future__ import annotations

import functools
import importlib
from collections.abc import Callable, Mapping
from typing import Any

from otelkit.aws._sources import DIRECT, Source

Detector = Callable[[Mapping[str, Any]], Source | None]

DETECTORS: tuple[tuple[str, str], ...] = (
    ("_http_sources", "authorizer"),
    ("_http_sources", "websocket"),
    ("_http_sources", "alb"),
    ("_http_sources", "http_api"),
    ("_http_sources", "rest_api"),
    ("_http_sources", "vpc_lattice"),
    ("_http_sources", "cloudfront"),
    ("_record_sources", "records_source"),
    ("_record_sources", "top_level_source"),
    ("_service_sources", "eventbridge"),
    ("_service_sources", "appsync_resolver"),
    ("_service_sources", "alexa_smart_home"),
    ("_service_sources", "service_source"),
)


@functools.cache
def _detector(module: str, name: str) -> Detector:
    detector: Detector = getattr(importlib.import_module(f"otelkit.aws.{module}"), name)
    return detector


def detect(event: object) -> Source:
    """The source of ``event``; ``direct`` for anything unrecognised."""
    if type(event) is not dict:  # events are JSON: a dict, checked first
        if isinstance(event, list):  # AppSync batch resolvers send a list of calls
            from otelkit.aws._service_sources import appsync_resolver

            return appsync_resolver(event) or Source(*DIRECT)
        if not isinstance(event, Mapping):
            return Source(*DIRECT)
    for module, name in DETECTORS:
        found = _detector(module, name)(event)
        if found is not None:
            return found
    return Source(*DIRECT)
