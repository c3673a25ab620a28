"""The package's shape stays what docs/contributing.md maps: few modules at the root, and
every private wing both on the map and in the layers contract of pyproject.toml."""

from __future__ import annotations

import ast
import importlib
import pkgutil
import tomllib
from pathlib import Path
from types import ModuleType

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


def _is_private(module: str) -> bool:
    return any(part.startswith("_") for part in module.split("."))


def _public_modules() -> list[ModuleType]:
    """``otelkit`` and every module under it whose dotted path has no private part."""
    import otelkit

    names = [info.name for info in pkgutil.walk_packages(otelkit.__path__, "otelkit.")]
    return [otelkit, *(importlib.import_module(name) for name in names if not _is_private(name))]


def test_tests_import_public_names_where_one_exists() -> None:
    """A test that reaches into a private module for a name the public face offers would
    keep passing after the public name broke."""
    exported = {
        (name, id(getattr(module, name)))
        for module in _public_modules()
        for name in getattr(module, "__all__", ())
        if hasattr(module, name)
    }
    private_reaches = []
    for path in sorted((REPO / "tests").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.ImportFrom) or node.module is None:
                continue
            if not node.module.startswith("otelkit.") or not _is_private(node.module):
                continue
            source = importlib.import_module(node.module)
            for alias in node.names:
                target = getattr(source, alias.name, None)
                if target is not None and (alias.name, id(target)) in exported:
                    private_reaches.append(f"{path.relative_to(REPO)}:{node.lineno} {alias.name}")
    assert private_reaches == []
