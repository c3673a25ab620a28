"""Screenshots of a local HTML file in headless Chromium (Debian's ``chromium`` package)."""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from pathlib import Path

NAMES = ("chromium", "chromium-browser", "google-chrome")


def chromium() -> str | None:
    """The browser's path, or None when none is installed."""
    return next((found for name in NAMES if (found := shutil.which(name))), None)


def screenshot(page: Path, png: Path, size: tuple[int, int], browser: str | None = None) -> None:
    """Load ``page`` in a window of ``size`` CSS pixels (one device pixel each) and write
    the window's picture to ``png``. A fresh profile each time: nothing cached between runs."""
    binary = browser or chromium()
    if binary is None:
        raise FileNotFoundError("no chromium: apt-get install chromium (make system-deps)")
    with tempfile.TemporaryDirectory(prefix="chromium-profile-") as profile:
        done = subprocess.run(
            [
                binary,
                "--headless",
                "--no-sandbox",  # running as root in a container
                "--disable-gpu",
                "--hide-scrollbars",
                "--force-device-scale-factor=1",
                "--no-first-run",
                f"--user-data-dir={profile}",
                f"--window-size={size[0]},{size[1]}",
                f"--screenshot={png}",
                page.resolve().as_uri(),
            ],
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
    if done.returncode != 0 or not png.exists():
        raise RuntimeError(f"chromium exited {done.returncode}: {done.stderr[-2000:]}")
