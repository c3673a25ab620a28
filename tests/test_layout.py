"""The package's shape stays what docs/contributing.md maps: few modules at the root, and
every private wing both on the map and in the layers contract of pyproject.toml."""

from __future__ import annotations

import ast
import tomllib
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
PACKAGE = REPO / "otelkit"
WINGS = sorted(path.name for path in PACKAGE.glob("_*/") if (path / "__init__.py").exists())


def test_the_root_holds_few_modules() -> None:
    root = sorted(path.name for path in PACKAGE.glob("*.py"))
    assert len(root) <= 12, root


def test_every_wing_says_what_it_holds() -> None:
    for wing in WINGS:
        docstring = ast.get_docstring(ast.parse((PACKAGE / wing / "__init__.py").read_text()))
        assert docstring, f"otelkit/{wing}/__init__.py needs a one-line docstring"


def test_every_wing_is_on_the_map() -> None:
    guide = (REPO / "docs" / "contributing.md").read_text(encoding="utf-8")
    assert [wing for wing in WINGS if f"`{wing}/`" not in guide] == []


def test_every_wing_is_in_the_layers_contract() -> None:
    config = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))
    contracts = config["tool"]["importlinter"]["contracts"]
    (layers,) = [contract["layers"] for contract in contracts if contract["type"] == "layers"]
    listed = {name.strip() for layer in layers for name in layer.split("|")}
    assert [wing for wing in WINGS if f"otelkit.{wing}" not in listed] == []
