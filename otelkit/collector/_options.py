"""Every option each collector component decodes, from a table the collector itself wrote.

The collector decodes each component's settings into a Go struct and refuses, at
start-up, a key the struct lacks or a value of the wrong type, at any depth. The table
``component_keys.json`` beside this module is generated from the built distribution
(``make collector-keys`` runs ``otelcol-otelkit keys``, which walks every factory's
default config by reflection), so ``check`` knows exactly what the collector knows, nested,
and a new collector version updates it in one command. ``tests/collector`` regenerates it
and fails when the committed copy differs, and holds ``check`` to the real collector's
verdicts key by key.

Components the table does not describe (those ADOT ships but the test build does not)
get no option checks: the collector judges them.
"""

from __future__ import annotations

import difflib
import json
import re
from collections.abc import Iterator
from functools import cache
from importlib import resources
from typing import Any

from otelkit.collector._components import Kind
from otelkit.collector._yaml import Path

#: One node of the table: {"kind": ..., "keys": {...}, "open": bool, "item": {...}}.
Node = dict[str, Any]

# Go's time.ParseDuration syntax; a bare integer also decodes (as nanoseconds).
_PART = r"(\d+(\.\d*)?|\.\d+)(ns|us|µs|ms|s|m|h)"
_DURATION = re.compile(rf"^[-+]?{_PART}({_PART})*$")
_REFERENCE = re.compile(r"\$\{[^}]*\}")


@cache
def _table() -> dict[str, dict[str, Node]]:
    text = resources.files("otelkit.collector").joinpath("component_keys.json").read_text()
    table: dict[str, dict[str, Node]] = json.loads(text)
    return table


def schema(kind: Kind, component_type: str) -> Node | None:
    """The option tree of one component type, or None when the table lacks it."""
    return _table().get(kind, {}).get(component_type)


def option_problems(node: Node, value: Any, path: Path) -> Iterator[tuple[Path, str]]:
    """Each key the collector would refuse below ``path``, and each value of a wrong type.

    An unknown key's problem is empty or its "(did you mean …?)"; a value's says what it
    expects.
    """
    if isinstance(value, str) and _REFERENCE.search(value):
        return  # resolved at start-up; not judged here
    if value is None:
        return  # null decodes to the zero value of any type
    kind = node["kind"]
    if kind == "struct":
        yield from _struct_problems(node, value, path)
    elif kind in ("map", "list"):
        yield from _container_problems(node, value, path)
    elif (problem := _scalar_problem(kind, value)) is not None:
        yield path, problem


def _struct_problems(node: Node, value: Any, path: Path) -> Iterator[tuple[Path, str]]:
    if not isinstance(value, dict):
        yield path, f"expects a mapping, got {_shown(value)}"
        return
    keys: dict[str, Node] = node.get("keys", {})
    for key, inner in value.items():
        child: Path = (*path, str(key))
        if str(key) in keys:
            yield from option_problems(keys[str(key)], inner, child)
        elif node.get("open"):  # a ",remain" field takes it, decoded as the rest are
            if "item" in node:
                yield from option_problems(node["item"], inner, child)
        else:
            hint = difflib.get_close_matches(str(key), sorted(keys), n=1)
            yield child, f"(did you mean '{hint[0]}'?)" if hint else ""


def _container_problems(node: Node, value: Any, path: Path) -> Iterator[tuple[Path, str]]:
    item: Node = node["item"]
    if node["kind"] == "map":
        if not isinstance(value, dict):
            yield path, f"expects a mapping, got {_shown(value)}"
            return
        for key, inner in value.items():
            yield from option_problems(item, inner, (*path, str(key)))
        return
    if isinstance(value, str) and item["kind"] in ("string", "text", "any"):
        return  # a comma-separated string decodes into a list of strings
    if not isinstance(value, list):
        yield path, f"expects a list, got {_shown(value)}"
        return
    for index, inner in enumerate(value):
        yield from option_problems(item, inner, (*path, index))


def _is_whole(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


#: Scalar kind -> whether a YAML value decodes to it.
_ACCEPTS: dict[str, tuple[str, Any]] = {
    "bool": ("true or false", lambda v: isinstance(v, bool)),
    "int": ("a whole number", _is_whole),
    "uint": ("a whole number of at least 0", lambda v: _is_whole(v) and v >= 0),
    "float": ("a number", lambda v: _is_whole(v) or isinstance(v, float)),
    "duration": (
        "a duration such as 5s or 200ms",
        lambda v: _is_whole(v) or (isinstance(v, str) and (v == "0" or bool(_DURATION.match(v)))),
    ),
    "string": ("a text value", lambda v: not isinstance(v, dict | list)),
    "text": ("a text value", lambda v: not isinstance(v, dict | list)),
}


def _scalar_problem(kind: str, value: Any) -> str | None:
    if kind not in _ACCEPTS:
        return None  # "any": the component judges it
    wanted, accepts = _ACCEPTS[kind]
    return None if accepts(value) else f"expects {wanted}, got {_shown(value)}"


def _shown(value: Any) -> str:
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    return repr(value)
