"""Every Python block in docs/ is code that runs: it is a region of a file under
examples/docs/, shown verbatim, and that file runs as a program.

A page marks each block with the region it shows, on the line before the fence::

    <!-- example: examples/docs/concepts.py#bind -->

and the file holds the same lines between ``# doc: bind`` and ``# doc: end`` (compared
without their common indentation, so a block may sit inside a function). mypy and ruff
check the files with the rest of examples/.
"""

from __future__ import annotations

import re
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from tests.support.processes import production_env

REPO = Path(__file__).resolve().parents[1]
DOCS = sorted((REPO / "docs").glob("*.md"))
EXAMPLES = REPO / "examples" / "docs"

_BLOCK = re.compile(r"^```python\n(.*?)^```", re.MULTILINE | re.DOTALL)
_MARKER = re.compile(r"<!-- example: (?P<file>\S+?)#(?P<name>[\w-]+) -->\s*$")


def blocks(page: Path) -> list[tuple[int, str | None, str]]:
    """(line, marker or None, code) for every Python block of ``page``."""
    text = page.read_text(encoding="utf-8")
    found = []
    for match in _BLOCK.finditer(text):
        before = text[: match.start()].rstrip("\n").rsplit("\n", 1)[-1]
        marker = _MARKER.search(before)
        line = text.count("\n", 0, match.start()) + 1
        found.append((line, marker.group(0) if marker else None, match.group(1)))
    return found


def region(path: Path, name: str) -> str:
    """The lines of ``path`` between ``# doc: name`` and the next ``# doc: end``."""
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    starts = [i for i, line in enumerate(lines) if line.strip() == f"# doc: {name}"]
    assert len(starts) == 1, f"{path.name} has {len(starts)} regions named {name!r}"
    end = next(i for i in range(starts[0], len(lines)) if lines[i].strip() == "# doc: end")
    return "".join(lines[starts[0] + 1 : end])


ALL_BLOCKS = [(page, *block) for page in DOCS for block in blocks(page)]


def test_the_pages_have_python_blocks() -> None:
    assert len(ALL_BLOCKS) >= 20  # the extraction still finds them


@pytest.mark.parametrize(
    ("page", "line", "marker", "code"),
    ALL_BLOCKS,
    ids=[f"{page.name}:{line}" for page, line, _, _ in ALL_BLOCKS],
)
def test_each_block_is_a_region_of_an_example(
    page: Path, line: int, marker: str | None, code: str
) -> None:
    assert marker, f"{page.name}:{line}: mark the block with <!-- example: FILE#NAME -->"
    found = _MARKER.search(marker)
    assert found
    source = REPO / found["file"]
    assert REPO / "examples" in source.parents, f"{page.name}:{line}: examples live in examples/"
    shown, written = textwrap.dedent(code), textwrap.dedent(region(source, found["name"]))
    assert shown.strip("\n") == written.strip("\n")


def test_every_region_is_shown_on_a_page() -> None:
    shown = {marker for _, _, marker, _ in ALL_BLOCKS if marker and "examples/docs/" in marker}
    declared = {
        f"<!-- example: examples/docs/{path.name}#{name} -->"
        for path in sorted(EXAMPLES.glob("*.py"))
        for name in re.findall(r"^\s*# doc: (?!end\b)([\w-]+)$", path.read_text(), re.M)
    }
    assert declared == shown


@pytest.mark.slow
@pytest.mark.parametrize("script", sorted(EXAMPLES.glob("*.py")), ids=lambda path: path.name)
def test_each_example_runs(script: Path, tmp_path: Path) -> None:
    """As a program, in a scratch folder, under the suite's strict mode: an internal error
    in what a block shows fails here."""
    env = production_env(OTELKIT_STRICT="1", OTELKIT_CONSOLE="false", PYTHONPATH=str(REPO))
    env.pop("OTEL_EXPORTER_OTLP_ENDPOINT", None)
    result = subprocess.run(
        [sys.executable, str(script)],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "internal error" not in result.stderr
