"""The attribute names the installed ``opentelemetry-semantic-conventions`` defines.

Each name is a module-level string constant of ``opentelemetry.semconv.attributes``
(stable) or ``opentelemetry.semconv._incubating.attributes``, followed by its docstring;
a docstring starting ``Deprecated`` marks a name replaced by another (the incubating
package also lists the stable names, "deprecated in favor of stable": those are not).
"""

from __future__ import annotations

import ast
import importlib
import inspect
import pkgutil
from functools import cache

PACKAGES = ("opentelemetry.semconv.attributes", "opentelemetry.semconv._incubating.attributes")


@cache
def defined() -> dict[str, bool]:
    """Every name the conventions define -> whether it is deprecated."""
    names: dict[str, bool] = {}
    for package_name in PACKAGES:
        package = importlib.import_module(package_name)
        for info in pkgutil.iter_modules(package.__path__):
            module = importlib.import_module(f"{package_name}.{info.name}")
            body = ast.parse(inspect.getsource(module)).body
            for node, after in zip(body, [*body[1:], None], strict=True):
                value = getattr(node, "value", None)
                if not (isinstance(node, ast.AnnAssign | ast.Assign) and _text(value)):
                    continue
                doc = _text(after.value) if isinstance(after, ast.Expr) else ""
                name = _text(value)
                replaced = doc.strip().startswith("Deprecated") and "favor of stable" not in doc
                names[name] = names.get(name, False) or replaced
    return names


def _text(node: object) -> str:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    return ""
