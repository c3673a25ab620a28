"""The settings table of docs/configuration.md, written from ``otelkit._config.settings``.

``python -m otelkit._config.doc docs/configuration.md`` (``make docs``) rewrites the part
between the markers; a test fails while the page and the table disagree.
"""

from __future__ import annotations

import sys
from pathlib import Path

from otelkit._config.settings import SETTINGS

BEGIN = "<!-- settings table: generated from otelkit/_config/settings.py by `make docs` -->"
END = "<!-- end of generated settings table -->"


def reference_table() -> str:
    """The markdown table of every setting, in the table's order."""
    lines = [
        "| option | environment variables | default | what it does |",
        "| --- | --- | --- | --- |",
    ]
    for spec in SETTINGS:
        option = f"`{spec.name}`" if spec.keyword else f"— (`{spec.name}`, environment only)"
        env = ", ".join(f"`{name}`" for name in spec.env_names)
        lines.append(f"| {option} | {env} | {spec.shown_default} | {spec.doc} |")
    return "\n".join(lines)


def rewrite(page: str) -> str:
    """``page`` with the generated table between the markers replaced by the current one."""
    head, begin, rest = page.partition(BEGIN)
    _, end, tail = rest.partition(END)
    if not begin or not end:
        raise ValueError(f"the page has no {BEGIN!r} ... {END!r} markers")
    return f"{head}{BEGIN}\n{reference_table()}\n{END}{tail}"


def main(argv: list[str]) -> int:
    """Rewrite the table in each page named on the command line."""
    for name in argv:
        path = Path(name)
        path.write_text(rewrite(path.read_text(encoding="utf-8")), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
