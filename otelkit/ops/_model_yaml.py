"""The YAML an ops model is read from, bounded: size, nesting, and no aliases.

A model may come from anyone (a pull request, a service's repository), so reading one
must cost little whatever it holds. Aliases are refused: with them, a 1 KB document can
expand to billions of nodes ("billion laughs"), and a model has no need of them.
Nesting is capped before PyYAML's recursive composer could exhaust the stack, and the
file itself is capped in size.
"""

from __future__ import annotations

from typing import Any

import yaml

from otelkit.ops._model import ModelError

MAX_BYTES = 1 << 20  # the largest example model is 4 KB
MAX_DEPTH = 32  # the deepest example model nests 5 levels


class _ModelLoader(yaml.SafeLoader):
    """SafeLoader that refuses aliases and nesting deeper than :data:`MAX_DEPTH`."""

    depth = 0

    def compose_node(self, parent: Any, index: Any) -> Any:
        if self.check_event(yaml.AliasEvent):
            raise ModelError(
                f"line {self._line()}: YAML aliases (*name) are not accepted in an ops model; "
                "write the value out"
            )
        self.depth += 1
        try:
            if self.depth > MAX_DEPTH:
                raise ModelError(f"line {self._line()}: nested deeper than {MAX_DEPTH} levels")
            return super().compose_node(parent, index)
        finally:
            self.depth -= 1

    def _line(self) -> int:
        events: Any = self  # types-PyYAML leaves the event methods untyped
        return int(events.peek_event().start_mark.line) + 1


def load_yaml(data: bytes) -> Any:
    """The one document in ``data``.

    Raises:
        ModelError: too large, too deep, an alias, or not YAML at all.
    """
    if len(data) > MAX_BYTES:
        raise ModelError(f"larger than {MAX_BYTES >> 20} MiB; an ops model is a few KB")
    loader = _ModelLoader(data.decode("utf-8", errors="replace"))
    try:
        return loader.get_single_data()
    except yaml.YAMLError as exc:
        raise ModelError(f"not valid YAML: {exc}".replace("\n", " ")) from None
    except RecursionError:  # a construct the depth count missed: still one line
        raise ModelError(f"nested deeper than {MAX_DEPTH} levels") from None
    finally:
        loader.dispose()
