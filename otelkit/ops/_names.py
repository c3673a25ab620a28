"""What a name in an ops model may contain, checked before it reaches anything it names.

A model is outside input: a name becomes part of a file path under ``--out``, of
CloudFormation names, of PromQL, LogQL, Logs Insights, SEARCH and Metrics Insights text.
Quoting each of those languages correctly is easy to get wrong once; a strict charset
per kind of name makes every one of them safe at once (no quote, backslash, brace of a
matcher, ``#``, ``$``, space or ``..`` can get in). ``{stage}`` and ``{service}`` may
appear wherever a name is filled in at render time; both are names of the strictest kind.
"""

from __future__ import annotations

import re

from otelkit.ops._model import ModelError

_PLACEHOLDERS = re.compile(r"\{(?:stage|service)\}")

# kind -> (pattern of the whole name, what the error says it may contain)
KINDS: dict[str, tuple[re.Pattern[str], str]] = {
    # service and stage: file names, SNS topic and dashboard names, Grafana uids.
    "word": (
        re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,62}"),
        "letters, digits, '-' and '_', starting with a letter or digit, at most 63",
    ),
    # alarm, SLO and alert names: CloudWatch alarm names and composite alarm rules.
    "identifier": (
        re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,127}"),
        "letters, digits, '.', '-' and '_', starting with a letter or digit, at most 128",
    ),
    # AWS resources, log groups, namespaces, metric and dimension names.
    "resource": (
        re.compile(r"(?!.*\.\.)[A-Za-z0-9._/:-]{1,512}"),
        "letters, digits and . _ / : - (no '..'), at most 512",
    ),
    # Dimension values: a resource name, an HTTP route's {param}, or "*" (every value).
    "dimension value": (
        re.compile(r"\*|(?!.*\.\.)[A-Za-z0-9._/:{}@+=-]{1,256}"),
        "letters, digits and . _ / : { } @ + = - (no '..'), or '*' alone, at most 256",
    ),
    # ARNs given to CloudFormation as they are.
    "arn": (
        re.compile(r"arn:[A-Za-z0-9._/:*+=,@-]{1,2000}"),
        "an ARN: 'arn:' then letters, digits and . _ / : * + = , @ -",
    ),
    # Prometheus durations (``for:``).
    "duration": (
        re.compile(r"(?:[0-9]{1,6}(?:ms|[smhdwy])){1,7}"),
        "a Prometheus duration such as 30s, 5m or 1h30m",
    ),
}


def checked(value: str, kind: str, where: str, *, placeholders: bool = True) -> str:
    """``value`` when it is a valid name of ``kind`` (with ``placeholders``, ``{stage}``
    and ``{service}`` stand for any valid word); otherwise a :class:`ModelError` naming
    ``where`` and what is allowed."""
    pattern, allowed = KINDS[kind]
    if not pattern.fullmatch(_PLACEHOLDERS.sub("x", value) if placeholders else value):
        shown = repr(value) if len(value) <= 100 else f"{value[:100]!r}… ({len(value)} characters)"
        raise ModelError(f"{where}: {shown} is not a valid name here ({allowed})")
    return value


def checked_stage(stage: str) -> str:
    """The ``--stage`` given at render time: the strictest kind of name."""
    return checked(stage, "word", "stage", placeholders=False)
