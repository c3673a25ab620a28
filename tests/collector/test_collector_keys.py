"""``check`` knows every key the real collector knows, at every depth.

The key table is generated from the built collector (``otelcol-otelkit keys``); the first
test regenerates it and fails when the committed copy is stale. The differential tests
then break every key of every component in every shipped config, one at a time, and
require the real collector and ``check`` to agree: both refuse an unknown key beside it,
and both refuse a value of the wrong type where the key holds a number, a flag or a
duration.
"""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
import yaml

from otelkit.collector import check_text
from otelkit.collector._options import schema
from tests.collector.real_collector import binary, validate, without_eks_detector
from tests.support.collector import REPO, SHIPPED

pytestmark = pytest.mark.slow

TABLE = REPO / "otelkit" / "collector" / "component_keys.json"
CONFIGS = sorted([*SHIPPED.glob("*/config.yaml"), *SHIPPED.glob("gateway/*/*-config.yaml")])
SECTIONS = ("receivers", "processors", "exporters", "extensions")
#: A wrong value for each scalar kind the collector decodes strictly.
WRONG: dict[str, Any] = {"bool": "sometimes", "int": "many", "uint": "many", "duration": "soon"}


def test_the_committed_table_is_what_the_built_collector_reports() -> None:
    fresh = subprocess.run(
        [str(binary()), "keys"], capture_output=True, text=True, check=True, timeout=60
    ).stdout
    assert json.loads(fresh) == json.loads(TABLE.read_text()), (
        "component_keys.json is stale: run `make collector-keys`"
    )


def _mappings(node: Any, path: tuple[Any, ...]) -> Iterator[tuple[Any, ...]]:
    """The path of every mapping inside a component's settings, the settings included."""
    if isinstance(node, dict):
        yield path
        for key, value in node.items():
            yield from _mappings(value, (*path, key))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from _mappings(value, (*path, index))


def _leaves(node: Any, tree: dict[str, Any] | None, path: tuple[Any, ...]) -> Iterator[Any]:
    """(path, scalar kind) of every scalar the table types strictly."""
    if tree is None:
        return
    if isinstance(node, dict) and tree["kind"] == "struct":
        for key, value in node.items():
            yield from _leaves(value, tree.get("keys", {}).get(key), (*path, key))
    elif tree["kind"] in WRONG and not isinstance(node, dict | list):
        yield path, tree["kind"]


def _at(doc: dict[str, Any], path: tuple[Any, ...]) -> Any:
    node: Any = doc
    for part in path:
        node = node[part]
    return node


def _mutations(config: Path) -> Iterator[tuple[str, str]]:
    """(case name, broken config text) for each key of each component."""
    doc = without_eks_detector(yaml.safe_load(config.read_text()))
    for section in SECTIONS:
        for cid, settings in (doc.get(section) or {}).items():
            tree = schema(section, cid.split("/", 1)[0])  # type: ignore[arg-type]
            if tree is None:
                continue
            for path in _mappings(settings or {}, ()):
                broken = yaml.safe_load(yaml.safe_dump(doc))
                target = broken[section]
                if broken[section][cid] is None:
                    broken[section][cid] = {}
                target = _at(broken[section][cid], path)
                if not isinstance(target, dict):
                    continue
                target["otelkit_unknown_key"] = 1
                where = ".".join(str(p) for p in (cid, *path))
                yield f"{config.name}: unknown key in {where}", yaml.safe_dump(broken)
            for path, kind in _leaves(settings or {}, tree, ()):
                broken = yaml.safe_load(yaml.safe_dump(doc))
                parent = _at(broken[section][cid], path[:-1])
                parent[path[-1]] = WRONG[kind]
                where = ".".join(str(p) for p in (cid, *path))
                yield f"{config.name}: {kind} {where} given a word", yaml.safe_dump(broken)


CASES = [case for config in CONFIGS for case in _mutations(config)]


def test_every_shipped_config_is_valid_to_both() -> None:
    for config in CONFIGS:
        text = yaml.safe_dump(without_eks_detector(yaml.safe_load(config.read_text())))
        ok, said = validate(text)
        assert ok, f"{config}: {said}"
        assert check_text(text) == [], config


def test_check_refuses_what_the_collector_refuses_at_every_key() -> None:
    assert len(CASES) > 100  # every shipped component has keys to break
    with ThreadPoolExecutor(max_workers=4) as pool:
        verdicts = list(pool.map(lambda case: validate(case[1]), CASES))
    disagreements = []
    for (name, text), (collector_ok, said) in zip(CASES, verdicts, strict=True):
        problems = check_text(text)
        if collector_ok == (not problems):
            continue
        last = said.strip().splitlines()[-1:] if said else []
        disagreements.append(f"{name}: collector ok={collector_ok} {last}; check {problems}")
    assert not disagreements, "\n".join(disagreements)
