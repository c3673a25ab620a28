"""YAML loading that remembers where every key came from.

A collector config problem is only useful with a line number, and plain ``yaml.safe_load``
throws positions away. Composing the node tree first keeps them: each mapping key and
sequence item is recorded under its path, e.g. ``("exporters", "awsemf", "namespace")``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

try:
    import yaml
except ImportError as exc:  # pragma: no cover - exercised only without the extra
    raise ImportError("otelkit.collector needs PyYAML: pip install 'otelkit[collector]'") from exc

__all__ = ["Document", "Path", "YamlError", "load", "yaml"]

Path = tuple[str | int, ...]


class YamlError(ValueError):
    """The text is not YAML; ``line`` is 1-based (0 when unknown)."""

    def __init__(self, line: int, message: str) -> None:
        super().__init__(message)
        self.line = line
        self.message = message


@dataclass
class Document:
    """Plain Python data plus the line of each path in it."""

    data: Any
    lines: dict[Path, int] = field(default_factory=dict)
    duplicates: list[tuple[int, str]] = field(default_factory=list)

    def line(self, path: Path) -> int:
        """Line of ``path``, or of its nearest recorded ancestor (1 for the root)."""
        while path:
            if path in self.lines:
                return self.lines[path]
            path = path[:-1]
        return self.lines.get((), 1)


def load(text: str) -> Document:
    """Parse ``text`` with the safe loader, keeping line numbers.

    Raises:
        YamlError: when the text is not well-formed YAML.
    """
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as exc:
        raise YamlError(*_describe(exc)) from exc
    except yaml.YAMLError as exc:
        raise YamlError(0, f"YAML does not parse: {exc}") from exc
    doc = Document(data=None)
    if root is None:
        return doc
    doc.lines[()] = root.start_mark.line + 1
    doc.data = _convert(root, (), doc)
    return doc


def _describe(exc: yaml.MarkedYAMLError) -> tuple[int, str]:
    """Line and message for a parse error, naming where an unclosed construct began.

    An unclosed ``[`` or quote is only noticed lines later, where parsing fails; the
    line that needs fixing is the one the construct started on.
    """
    mark = exc.problem_mark or exc.context_mark
    line = mark.line + 1 if mark is not None else 0
    message = f"YAML does not parse: {exc.problem or exc.context or 'invalid YAML'}"
    start = exc.context_mark
    if exc.context and start is not None and start.line + 1 != line:
        message += f" ({exc.context.removeprefix('while ')} started at line {start.line + 1})"
    return line, message


def _convert(node: yaml.Node, path: Path, doc: Document) -> Any:
    if isinstance(node, yaml.MappingNode):
        out: dict[Any, Any] = {}
        for key_node, value_node in node.value:
            key = _scalar(key_node)
            line = key_node.start_mark.line + 1
            if key in out:
                doc.duplicates.append((line, str(key)))
            doc.lines[(*path, str(key))] = line
            out[key] = _convert(value_node, (*path, str(key)), doc)
        return out
    if isinstance(node, yaml.SequenceNode):
        items = []
        for index, item in enumerate(node.value):
            doc.lines[(*path, index)] = item.start_mark.line + 1
            items.append(_convert(item, (*path, index), doc))
        return items
    return _scalar(node)


def _scalar(node: yaml.Node) -> Any:
    # Resolve a scalar with the safe constructor so tags (int, bool, null) come out as
    # yaml.safe_load would produce them. A complex key is kept as its source text.
    if not isinstance(node, yaml.ScalarNode):
        return str(node.value)
    return yaml.SafeLoader("").construct_object(node, deep=True)
