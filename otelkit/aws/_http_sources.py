"""Detectors for the sources that reach a function through an HTTP front door.

Requests (API Gateway REST and HTTP APIs, function URLs, ALB, VPC Lattice, CloudFront
Lambda@Edge) get the HTTP server attributes and continue the caller's trace from their
headers. Two neighbours look like requests but are not: an API Gateway *authorizer* is
asked whether a request may pass (no request line, no route, no response to echo a
correlation ID in), and a WebSocket route is one frame of a long-lived connection (one
label for ``$connect``, messages and ``$disconnect``, told apart by the route key).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from otelkit._requests.incoming import client_ip, header_map
from otelkit.aws._sources import Source, mapping, present, text

AUTHORIZER_TYPES = frozenset({"TOKEN", "REQUEST"})
WEBSOCKET_EVENT_TYPES = frozenset({"CONNECT", "MESSAGE", "DISCONNECT"})


def headers_of(event: Mapping[str, Any]) -> dict[str, str]:
    """Lowercase headers from ``headers``, else from ``multiValueHeaders`` (an ALB with
    multi-value headers enabled sends only these). A header given as a list of values
    (VPC Lattice's payload 2.0) counts as repeated."""
    single = mapping(event.get("headers"))
    pairs: list[tuple[str, str]] = []
    for name, value in single.items():
        values = value if isinstance(value, list) else (value,)
        pairs.extend((str(name), v) for v in values if isinstance(v, str))
    if not pairs:
        for name, values in mapping(event.get("multiValueHeaders")).items():
            if isinstance(values, list):
                pairs.extend((str(name), v) for v in values if isinstance(v, str))
    return header_map(pairs)


def _request(
    name: str,
    event: Mapping[str, Any],
    *,
    method: str | None,
    path: str | None,
    route: str | None,
    source_ip: str | None,
    server: str | None,
    headers: dict[str, str] | None = None,
) -> Source:
    headers = headers_of(event) if headers is None else headers
    address = peer = source_ip.split("/", 1)[0] if source_ip else None
    if name == "alb":  # the ALB is the peer; the client is in X-Forwarded-For
        address = client_ip(headers, address)
    attributes = present(
        http__request__method=(method or "GET").upper(),
        url__path=path,
        http__route=route,
        url__scheme=headers.get("x-forwarded-proto"),
        client__address=address,
        server__address=server or headers.get("host"),
        user_agent__original=headers.get("user-agent"),
    )
    return Source(name, "http", attributes, headers=headers, http_request=True, peer=peer)


def rest_api(event: Mapping[str, Any]) -> Source | None:
    """API Gateway REST API (payload 1.0): ``httpMethod`` and a ``requestContext``."""
    context = mapping(event.get("requestContext"))
    if not isinstance(event.get("httpMethod"), str) or not context or "elb" in context:
        return None
    return _request(
        "api_gateway_rest",
        event,
        method=text(event.get("httpMethod")),
        path=text(event.get("path")),
        route=text(event.get("resource")),
        source_ip=text(mapping(context.get("identity")).get("sourceIp")),
        server=text(context.get("domainName")),
    )


def http_api(event: Mapping[str, Any]) -> Source | None:
    """HTTP API (payload 2.0) or a function URL (the same shape, a ``lambda-url`` host)."""
    context = mapping(event.get("requestContext"))
    http = context.get("http")
    if event.get("version") != "2.0" or not isinstance(http, Mapping):
        return None
    domain = text(context.get("domainName")) or ""
    name = "function_url" if ".lambda-url." in domain else "api_gateway_http"
    key = text(event.get("routeKey"))
    route = (
        key.split(" ", 1)[-1] if name == "api_gateway_http" and key and key != "$default" else None
    )
    return _request(
        name,
        event,
        method=text(http.get("method")),
        path=text(event.get("rawPath")) or text(http.get("path")),
        route=route,
        source_ip=text(http.get("sourceIp")),
        server=domain or None,
    )


def alb(event: Mapping[str, Any]) -> Source | None:
    """Application Load Balancer target: ``requestContext.elb``."""
    if "elb" not in mapping(event.get("requestContext")):
        return None
    return _request(
        "alb",
        event,
        method=text(event.get("httpMethod")),
        path=text(event.get("path")),
        route=None,
        source_ip=None,
        server=None,
    )


def vpc_lattice(event: Mapping[str, Any]) -> Source | None:
    """VPC Lattice: payload 1.0 (``raw_path``) or 2.0 (``requestContext.serviceArn``)."""
    context = mapping(event.get("requestContext"))
    if not isinstance(event.get("method"), str):
        return None
    if "raw_path" in event:
        path = text(event.get("raw_path"))
    elif "serviceArn" in context:
        path = text(event.get("path"))
    else:
        return None
    headers = headers_of(event)
    source = _request(
        "vpc_lattice",
        event,
        method=text(event.get("method")),
        path=path.split("?", 1)[0] if path else None,
        route=None,
        source_ip=None,
        server=None,
        headers=headers,
    )
    forwarded = headers.get("x-forwarded-for")
    if forwarded:
        source.attributes["client.address"] = forwarded.split(",", 1)[0].strip()
    source.attributes.update(present(aws__vpc_lattice__service_arn=context.get("serviceArn")))
    return source


def cloudfront(event: Mapping[str, Any]) -> Source | None:
    """Lambda@Edge: ``Records[0].cf`` with the distribution's config and the request."""
    records = event.get("Records")
    first = records[0] if isinstance(records, list) and records else None
    cf = mapping(first.get("cf")) if isinstance(first, Mapping) else {}
    if not cf:
        return None
    config, request = mapping(cf.get("config")), mapping(cf.get("request"))
    pairs: list[tuple[str, str]] = []
    for name, values in mapping(request.get("headers")).items():
        for entry in values if isinstance(values, list) else ():
            value = mapping(entry).get("value")
            if isinstance(value, str):
                pairs.append((str(name), value))
    source = _request(
        "cloudfront",
        {},
        method=text(request.get("method")),
        path=text(request.get("uri")),
        route=None,
        source_ip=text(request.get("clientIp")),
        server=text(config.get("distributionDomainName")),
        headers=header_map(pairs),
    )
    source.http_request = False  # the response is CloudFront's to shape, not ours
    source.attributes.update(
        present(
            aws__cloudfront__distribution_id=config.get("distributionId"),
            aws__cloudfront__event_type=config.get("eventType"),
        )
    )
    return source


def authorizer(event: Mapping[str, Any]) -> Source | None:
    """An API Gateway Lambda authorizer: ``type`` TOKEN or REQUEST with the ARN of the
    method or route being authorised (REST, HTTP and WebSocket APIs alike).

    It decides whether a request may pass; it is not the request. So: no HTTP request
    attributes, no route, no generated correlation ID, nothing echoed. A REQUEST
    authorizer sees the caller's headers, so it still continues the caller's trace.
    """
    kind = text(event.get("type"))
    arn = text(event.get("methodArn")) or text(event.get("routeArn"))
    if kind not in AUTHORIZER_TYPES or arn is None:
        return None
    headers = headers_of(event) if kind == "REQUEST" else {}
    identity = mapping(mapping(event.get("requestContext")).get("identity"))
    return Source(
        "api_gateway_authorizer",
        "other",
        present(aws__api_gateway__authorizer__type=kind, aws__api_gateway__method_arn=arn),
        headers=headers,
        peer=text(identity.get("sourceIp")),
    )


def websocket(event: Mapping[str, Any]) -> Source | None:
    """An API Gateway WebSocket route: ``$connect``, ``$disconnect`` or a message route.

    One source for every route, told apart by ``aws.api_gateway.route_key``; the
    connection ID ties the frames of one connection together.
    """
    context = mapping(event.get("requestContext"))
    if text(context.get("eventType")) not in WEBSOCKET_EVENT_TYPES or "connectionId" not in context:
        return None
    identity = mapping(context.get("identity"))
    return Source(
        "api_gateway_websocket",
        "other",
        present(
            aws__api_gateway__route_key=context.get("routeKey"),
            aws__api_gateway__websocket__event_type=context.get("eventType"),
            aws__api_gateway__websocket__connection_id=context.get("connectionId"),
            server__address=context.get("domainName"),
            client__address=identity.get("sourceIp"),
        ),
        headers=headers_of(event),
        peer=text(identity.get("sourceIp")),
    )
