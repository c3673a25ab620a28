"""otelkit's entry points as this tree's pyproject.toml declares them, for child processes.

The shared development environment holds otelkit as an editable install whose metadata
was written when it was installed; a checkout that adds an entry point is not seen there
until it is installed again. ``entry_points_dir`` writes the metadata a fresh install of
this tree would have, in a directory a child puts first on ``PYTHONPATH`` (the first
distribution of a name on the path is the one ``importlib.metadata`` reads).
"""

from __future__ import annotations

import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def entry_points_dir(directory: Path) -> Path:
    """Write ``otelkit-<version>.dist-info`` with this tree's entry points under ``directory``."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    from otelkit import __version__

    info = directory / f"otelkit-{__version__}.dist-info"
    info.mkdir(parents=True, exist_ok=True)
    (info / "METADATA").write_text(
        f"Metadata-Version: 2.1\nName: otelkit\nVersion: {__version__}\n"
    )
    groups = {"console_scripts": project.get("scripts", {}), **project["entry-points"]}
    (info / "entry_points.txt").write_text(
        "".join(
            f"[{group}]\n"
            + "".join(f"{name} = {target}\n" for name, target in found.items())
            + "\n"
            for group, found in groups.items()
        )
    )
    return directory
