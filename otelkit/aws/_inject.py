"""Writing trace context and the public IDs into outgoing SQS, SNS and EventBridge messages.

Upstream botocore instrumentation injects only into SNS ``Publish``/``PublishBatch``, all
four propagation fields or nothing, so a message that already has seven attributes loses
its trace entirely. otelkit runs right after it (as the instrumentation's request hook,
inside the client span, so ``traceparent`` names that span) and rewrites the carrier for
every messaging call that can hold one:

* SQS ``SendMessage``/``SendMessageBatch`` and SNS ``Publish``/``PublishBatch``: message
  attributes ``traceparent`` and ``baggage`` (then ``tracestate`` if set), as many as the
  10-attribute limit leaves room for, most useful first. The X-Ray header is not spent on
  an attribute: SQS takes it as the ``AWSTraceHeader`` *system* attribute, which does not
  count towards the limit and is what Lambda and X-Ray read; SNS gets it from the HTTP
  request header the instrumentation already sets.
* EventBridge ``PutEvents``: the X-Ray header in the entry's ``TraceHeader``. EventBridge
  hands that to X-Ray but not to the target's event, and entries have no attributes, so
  ``traceparent`` and ``baggage`` travel inside the ``Detail`` JSON object under the key
  ``_otelkit`` (only when ``Detail`` is an object and the entry stays under 256 KiB).
* Lambda ``Invoke``/``InvokeWithResponseStream``: the client context's ``custom`` map
  for synchronous calls (Lambda drops the client context of ``Event`` invocations),
  else the payload's ``headers`` object; ``lambda_handler`` reads either back.

A send never fails because of this: what does not fit is left out and named in one
warning log record per call, and an internal error is reported and the call proceeds.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Callable, Mapping, MutableMapping
from typing import Any

from otelkit._core.safety import report_internal_error
from otelkit._correlation.propagation import outgoing_headers
from otelkit._logs.logger import get_logger
from otelkit.aws._sensitive import learn

#: SQS and SNS reject (or, SNS to raw SQS, fail to deliver) more attributes than this.
MAX_MESSAGE_ATTRIBUTES = 10
#: PutEvents' limit for one entry.
MAX_EVENT_ENTRY_BYTES = 256 * 1024
#: The key of the carrier object otelkit adds to an EventBridge ``Detail``.
EVENT_DETAIL_KEY = "_otelkit"

XRAY_HEADER = "X-Amzn-Trace-Id"
#: Carried as message attributes, most useful first: the parent span, then the IDs.
_ATTRIBUTE_PRIORITY = ("traceparent", "baggage", "tracestate")
#: Propagation attributes from upstream's injection or from a forwarded message: replaced.
_PROPAGATION_NAMES = frozenset({"traceparent", "tracestate", "baggage", XRAY_HEADER.lower()})

_log = get_logger("otelkit.aws")


def _carry_in_attributes(
    entry: MutableMapping[str, Any], headers: Mapping[str, str], *, system_trace_header: bool
) -> list[str]:
    """Set the propagation attributes of one message entry; return the names left out."""
    attributes = {
        name: value
        for name, value in (entry.get("MessageAttributes") or {}).items()
        if name.lower() not in _PROPAGATION_NAMES
    }
    room = MAX_MESSAGE_ATTRIBUTES - len(attributes)
    dropped: list[str] = []
    for name in _ATTRIBUTE_PRIORITY:
        value = headers.get(name)
        if value is None:
            continue
        if room > 0:
            attributes[name] = {"DataType": "String", "StringValue": value}
            room -= 1
        else:
            dropped.append(name)
    entry["MessageAttributes"] = attributes
    trace_header = headers.get(XRAY_HEADER)
    if system_trace_header and trace_header is not None:
        system = dict(entry.get("MessageSystemAttributes") or {})
        system.setdefault("AWSTraceHeader", {"DataType": "String", "StringValue": trace_header})
        entry["MessageSystemAttributes"] = system
    return dropped


def _copied_entries(params: MutableMapping[str, Any], key: str) -> list[dict[str, Any]]:
    """The batch entries, shallow-copied so the caller's own dicts are never modified."""
    entries = [dict(entry) for entry in params.get(key) or ()]
    params[key] = entries
    return entries


def _report_dropped(operation: str, destination: object, dropped: Mapping[str, list[str]]) -> None:
    """One warning per call naming what could not be carried, and for which entries."""
    if not dropped:
        return
    names = sorted({name for names in dropped.values() for name in names})
    _log.warning(
        "Trace context not fully carried: %s left out (at most %d message attributes)",
        ", ".join(names),
        MAX_MESSAGE_ATTRIBUTES,
        event_type="PROPAGATION_TRUNCATED",
        operation=operation,
        destination=str(destination),
        dropped_attributes=names,
        entries=sorted(dropped),
    )


def _sqs_send_message(params: MutableMapping[str, Any], headers: Mapping[str, str]) -> None:
    dropped = _carry_in_attributes(params, headers, system_trace_header=True)
    _report_dropped("SendMessage", params.get("QueueUrl"), {"-": dropped} if dropped else {})


_Injector = Callable[[MutableMapping[str, Any], Mapping[str, str]], None]


def _batch(
    operation: str, entries_key: str, destination_key: str, *, system_trace_header: bool
) -> _Injector:
    """An injector for a batch call: every entry carries the context, each one reported."""

    def inject_batch(params: MutableMapping[str, Any], headers: Mapping[str, str]) -> None:
        dropped: dict[str, list[str]] = {}
        for entry in _copied_entries(params, entries_key):
            left_out = _carry_in_attributes(entry, headers, system_trace_header=system_trace_header)
            if left_out:
                dropped[str(entry.get("Id"))] = left_out
        _report_dropped(operation, params.get(destination_key), dropped)

    return inject_batch


def _sns_publish(params: MutableMapping[str, Any], headers: Mapping[str, str]) -> None:
    if params.get("PhoneNumber"):  # an SMS: nothing downstream reads attributes
        return
    dropped = _carry_in_attributes(params, headers, system_trace_header=False)
    _report_dropped(
        "Publish",
        params.get("TopicArn") or params.get("TargetArn"),
        {"-": dropped} if dropped else {},
    )


def detail_with_carrier(detail: str, carrier: Mapping[str, str]) -> str | None:
    """``detail`` (a JSON object's text) with ``carrier`` under ``EVENT_DETAIL_KEY``.

    The user's text is kept byte for byte: the carrier is spliced in after the opening
    brace instead of re-serialising, which would change spacing, escapes and number
    formats that a consumer comparing or signing payloads may depend on. Returns None
    when ``detail`` is not a JSON object (an array, a scalar, invalid JSON): that
    payload is left alone.
    """
    try:
        parsed = json.loads(detail)
    except ValueError:
        return None
    if not isinstance(parsed, dict):
        return None
    if EVENT_DETAIL_KEY in parsed:  # a forwarded event: replace the old carrier
        parsed[EVENT_DETAIL_KEY] = dict(carrier)
        return json.dumps(parsed)
    stripped = detail.lstrip()
    rest = stripped[1:]
    separator = "," if parsed else ""
    return (
        "{"
        + f"{json.dumps(EVENT_DETAIL_KEY)}:{json.dumps(dict(carrier))}{separator}"
        + (rest if parsed else rest.lstrip())
    )


def _entry_size(entry: Mapping[str, Any], detail: str) -> int:
    """An entry's size as PutEvents counts it (Detail, DetailType, Source, Resources...)."""
    size = len(detail.encode())
    for key in ("DetailType", "Source", "TraceHeader"):
        value = entry.get(key)
        if isinstance(value, str):
            size += len(value.encode())
    size += sum(len(str(r).encode()) for r in entry.get("Resources") or ())
    return size + (14 if entry.get("Time") is not None else 0)


def _events_put_events(params: MutableMapping[str, Any], headers: Mapping[str, str]) -> None:
    carrier = {name: headers[name] for name in _ATTRIBUTE_PRIORITY if name in headers}
    trace_header = headers.get(XRAY_HEADER)
    too_large: dict[str, list[str]] = {}
    for index, entry in enumerate(_copied_entries(params, "Entries")):
        if trace_header is not None and not entry.get("TraceHeader"):
            entry["TraceHeader"] = trace_header
        detail = entry.get("Detail")
        if not isinstance(detail, str) or not carrier:
            continue
        updated = detail_with_carrier(detail, carrier)
        if updated is None:
            continue
        if _entry_size(entry, updated) > MAX_EVENT_ENTRY_BYTES:
            too_large[str(index)] = sorted(carrier)
            continue
        entry["Detail"] = updated
    if too_large:
        names = sorted({n for names in too_large.values() for n in names})
        _log.warning(
            "Trace context not carried in event Detail: %s left out (entry would exceed %d bytes)",
            ", ".join(names),
            MAX_EVENT_ENTRY_BYTES,
            event_type="PROPAGATION_TRUNCATED",
            operation="PutEvents",
            dropped_attributes=names,
            entries=sorted(too_large),
        )


#: Lambda's limit on the base64-encoded client context.
MAX_CLIENT_CONTEXT_BYTES = 3583


def client_context_with(encoded: object, carrier: Mapping[str, str]) -> str | None:
    """A base64 client context whose ``custom`` map holds ``carrier``, keeping whatever
    the caller put there; None when the caller's is unreadable or the result too large."""
    document: dict[str, Any] = {}
    if isinstance(encoded, str) and encoded:
        try:
            parsed = json.loads(base64.b64decode(encoded, validate=True))
        except (ValueError, binascii.Error):
            return None  # not ours to repair: the call goes as the caller wrote it
        if not isinstance(parsed, dict):
            return None
        document = parsed
    custom = document.get("custom")
    document["custom"] = {**(custom if isinstance(custom, dict) else {}), **carrier}
    result = base64.b64encode(json.dumps(document, separators=(",", ":")).encode()).decode()
    return result if len(result) <= MAX_CLIENT_CONTEXT_BYTES else None


def payload_with(payload: object, carrier: Mapping[str, str]) -> str | None:
    """A JSON-object payload with ``carrier`` merged into its ``headers`` object; None
    for any other payload (a list, a scalar, bytes that are not JSON), left untouched."""
    if isinstance(payload, (bytes, bytearray)):
        payload = bytes(payload).decode(errors="replace")
    if not isinstance(payload, str):
        return None
    try:
        parsed = json.loads(payload)
    except ValueError:
        return None
    headers = parsed.get("headers", {}) if isinstance(parsed, dict) else None
    if not isinstance(headers, dict):
        return None
    parsed["headers"] = {**headers, **carrier}
    return json.dumps(parsed)


def _lambda_invoke(params: MutableMapping[str, Any], headers: Mapping[str, str]) -> None:
    """Synchronous calls carry the context in the client context, which Lambda hands
    to the function; asynchronous ones (``Event``) drop it, so it goes in the payload."""
    carrier = {
        name: headers[name] for name in (*_ATTRIBUTE_PRIORITY, XRAY_HEADER) if name in headers
    }
    if not carrier:
        return
    if params.get("InvocationType", "RequestResponse") != "Event":
        updated = client_context_with(params.get("ClientContext"), carrier)
        if updated is not None:
            params["ClientContext"] = updated
            return
    payload = payload_with(params.get("Payload"), carrier)
    if payload is not None:
        params["Payload"] = payload
    else:
        _log.warning(
            "Trace context not carried on lambda.Invoke: no room in the client "
            "context and the payload is not a JSON object",
            event_type="PROPAGATION_TRUNCATED",
            operation="Invoke",
            destination=str(params.get("FunctionName")),
        )


_INJECTORS: dict[tuple[str, str], _Injector] = {
    ("lambda", "Invoke"): _lambda_invoke,
    ("lambda", "InvokeWithResponseStream"): _lambda_invoke,
    ("sqs", "SendMessage"): _sqs_send_message,
    ("sqs", "SendMessageBatch"): _batch(
        "SendMessageBatch", "Entries", "QueueUrl", system_trace_header=True
    ),
    ("sns", "Publish"): _sns_publish,
    ("sns", "PublishBatch"): _batch(
        "PublishBatch", "PublishBatchRequestEntries", "TopicArn", system_trace_header=False
    ),
    ("events", "PutEvents"): _events_put_events,
}


def inject_into_request(service: str, operation: str, params: MutableMapping[str, Any]) -> None:
    """Carry the current trace context and public IDs in an outgoing AWS messaging call.

    Called for every botocore API call; anything but the five messaging operations
    returns at once. Errors are reported, never raised (unless under ``OTELKIT_STRICT``):
    the message is sent either way.
    """
    injector = _INJECTORS.get((service, operation))
    if injector is None:
        return
    try:
        injector(params, outgoing_headers())
    except Exception as exc:
        report_internal_error(f"carrying trace context on {service}.{operation}", exc)


def request_hook(span: Any, service: str, operation: str, params: Any) -> None:
    """The botocore instrumentation's ``request_hook``: runs inside the client span,
    before botocore logs anything about the call."""
    learn(service)
    inject_into_request(service, operation, params)
