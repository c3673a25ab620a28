"""How one setting is declared: ``setting(...)`` makes a field of ``Settings`` whose
metadata is a ``Setting``, which knows how to resolve itself.

The three records here are named tuples, not dataclasses: immutable all the same, and
the table loads with every cold start (on Lambda, at import), where making three frozen
dataclasses cost ~2 ms of generated methods compiled.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping
from typing import Any, Generic, NamedTuple, TypeVar

from otelkit._config.parsers import Parser

T = TypeVar("T")

_METADATA_KEY = "otelkit.setting"


class Computed(NamedTuple, Generic[T]):
    """A default computed from the settings resolved before this one (table order).

    Attributes:
        compute: takes the values resolved so far, by setting name.
        shown: the default as the docs state it.
    """

    compute: Callable[[Mapping[str, Any]], T]
    shown: str


class EnvAlias(NamedTuple):
    """An environment variable that gives the setting's value in another form.

    Attributes:
        name: the variable.
        translate: ``(name, text) -> value`` for the setting's parser, or None when the
            variable, though set, leaves the setting to the next source.
    """

    name: str
    translate: Callable[[str, str], Any]


class Setting(NamedTuple, Generic[T]):
    """One setting: where it is read from, how it is parsed, what it defaults to."""

    parse: Parser[T]
    default: T | Computed[T]
    env: tuple[str | EnvAlias, ...]
    doc: str
    keyword: bool = True
    shown: str | None = None
    name: str = ""  # the Settings field's name, filled in by specs()

    @property
    def env_names(self) -> tuple[str, ...]:
        """Every environment variable read, in order of precedence."""
        return tuple(var if isinstance(var, str) else var.name for var in self.env)

    @property
    def shown_default(self) -> str:
        """The default as the configuration reference states it."""
        if self.shown is not None:
            return self.shown
        if isinstance(self.default, Computed):
            return self.default.shown
        if self.default is None:
            return "(unset)"
        if isinstance(self.default, bool):
            return str(self.default).lower()
        return str(self.default)

    def resolve(self, given: Any, environ: Mapping[str, str], resolved: Mapping[str, Any]) -> T:
        """This setting's value: ``given`` (the argument) if not None, else the first
        environment variable that is set, else the default."""
        if given is not None:
            return self.parse(f"configure({self.name}=...)", given)
        for var in self.env:
            name = var if isinstance(var, str) else var.name
            found = environ.get(name, "").strip()
            if not found:
                continue
            value = found if isinstance(var, str) else var.translate(name, found)
            if value is not None:
                return self.parse(name, value)
        if isinstance(self.default, Computed):
            computed: T = self.default.compute(resolved)
            return computed
        return self.default


def setting(
    *,
    parse: Parser[T],
    default: T | Computed[T],
    env: tuple[str | EnvAlias, ...],
    doc: str,
    keyword: bool = True,
    shown: str | None = None,
) -> T:
    """Declare one field of ``Settings`` (typed as what ``parse`` returns)."""
    spec = Setting(parse=parse, default=default, env=env, doc=doc, keyword=keyword, shown=shown)
    return dataclasses.field(metadata={_METADATA_KEY: spec})  # type: ignore[no-any-return]


def specs(table: type) -> tuple[Setting[Any], ...]:
    """The settings declared as fields of the dataclass ``table``, in field order."""
    return tuple(
        field.metadata[_METADATA_KEY]._replace(name=field.name)
        for field in dataclasses.fields(table)
    )
