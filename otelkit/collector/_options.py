"""Types of the component options otelkit renders, and the complete key sets it knows.

The collector decodes each component's settings into a Go struct and refuses, at
start-up, a key the struct lacks or a value of the wrong type. These tables let
``check`` report the same before deploy, for the components the shipped configs use.
Key sets are listed only where they are complete for collector-contrib v0.156; other
components get their value types checked and unknown keys left to the collector. The
differential test (``tests/collector/test_collector_differential.py``) holds the tables
to the real collector's verdicts.
"""

from __future__ import annotations

import re
from typing import Any, Literal

from otelkit.collector._components import Kind

ValueType = Literal["duration", "int", "bool"]

#: (section, component type) -> option -> the type its value must decode to.
TYPES: dict[tuple[Kind, str], dict[str, ValueType]] = {
    ("processors", "memory_limiter"): {
        "check_interval": "duration",
        "limit_mib": "int",
        "spike_limit_mib": "int",
        "limit_percentage": "int",
        "spike_limit_percentage": "int",
        "min_gc_interval_when_soft_limited": "duration",
        "min_gc_interval_when_hard_limited": "duration",
    },
    ("processors", "batch"): {
        "timeout": "duration",
        "send_batch_size": "int",
        "send_batch_max_size": "int",
        "metadata_cardinality_limit": "int",
    },
    ("processors", "resourcedetection"): {"timeout": "duration", "override": "bool"},
    ("processors", "tail_sampling"): {
        "decision_wait": "duration",
        "num_traces": "int",
        "expected_new_traces_per_sec": "int",
    },
}

#: Components whose every top-level key is listed: anything else is refused.
CLOSED: dict[tuple[Kind, str], frozenset[str]] = {
    ("processors", "memory_limiter"): frozenset(TYPES[("processors", "memory_limiter")]),
    ("processors", "batch"): frozenset({*TYPES[("processors", "batch")], "metadata_keys"}),
    # sigv4authextension.Config: the credentials come from the environment, never a key.
    ("extensions", "sigv4auth"): frozenset({"region", "service", "assume_role"}),
}

# Go's time.ParseDuration syntax; a bare integer also decodes (as nanoseconds).
_PART = r"(\d+(\.\d*)?|\.\d+)(ns|us|µs|ms|s|m|h)"
_DURATION = re.compile(rf"^[-+]?{_PART}({_PART})*$")
_REFERENCE = re.compile(r"\$\{[^}]*\}")


def type_problem(value: Any, expected: ValueType) -> str | None:
    """Why ``value`` does not decode as ``expected``, or None when it does.

    Values that hold a ``${…}`` reference are resolved at start-up and not judged here.
    """
    if isinstance(value, str) and _REFERENCE.search(value):
        return None
    if expected == "bool":
        return None if isinstance(value, bool) else f"expects true or false, got {value!r}"
    if expected == "int":
        ok = isinstance(value, int) and not isinstance(value, bool)
        return None if ok else f"expects a whole number, got {value!r}"
    if isinstance(value, int) and not isinstance(value, bool):
        return None
    if isinstance(value, str) and (value == "0" or _DURATION.match(value)):
        return None
    return f"expects a duration such as 5s or 200ms, got {value!r}"
