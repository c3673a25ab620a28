"""The documentation site builds with MkDocs in strict mode: every page in the navigation,
every link and anchor resolves, every link to a repository file names one that exists."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
MKDOCS = Path(sys.executable).parent / "mkdocs"


def _build(root: Path, site: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(MKDOCS), "build", "--strict", "--site-dir", str(site)],
        cwd=root,
        env={**os.environ, "NO_MKDOCS_2_WARNING": "1"},
        capture_output=True,
        text=True,
        timeout=120,
    )


def _copy(tmp_path: Path) -> Path:
    copy = tmp_path / "repo"
    copy.mkdir()
    for name in ("mkdocs.yml", "mkdocs_hooks.py"):
        shutil.copy(ROOT / name, copy / name)
    shutil.copytree(ROOT / "docs", copy / "docs")
    shutil.copytree(ROOT / "examples", copy / "examples")
    shutil.copytree(ROOT / "collector", copy / "collector")
    shutil.copytree(ROOT / "benchmarks", copy / "benchmarks")
    return copy


@pytest.mark.slow
def test_the_site_builds_strictly(tmp_path: Path) -> None:
    done = _build(ROOT, tmp_path / "site")
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "site" / "configuration" / "index.html").exists()


@pytest.mark.slow
@pytest.mark.parametrize(
    ("page", "target"),
    [
        ("security.md", "no-such-page.md"),
        ("security.md", "configuration.md#no-such-section"),
        ("handlers.md", "../examples/no_such_example.py"),
    ],
)
def test_a_broken_link_fails_the_build(tmp_path: Path, page: str, target: str) -> None:
    copy = _copy(tmp_path)
    assert _build(copy, tmp_path / "before").returncode == 0, "the copy builds as it is"
    with (copy / "docs" / page).open("a") as handle:
        handle.write(f"\nSee [this]({target}).\n")
    done = _build(copy, tmp_path / "site")
    assert done.returncode != 0
    assert target.split("#")[-1].removeprefix("../") in done.stderr
