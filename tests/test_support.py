"""The test helpers are one package, imported one way."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.polling import eventually

ROOT = Path(__file__).resolve().parents[1]


def test_examples_helpers_load_once_under_one_name() -> None:
    """The conftest's moto server and the other server helpers share one module object."""
    code = (
        "import sys\n"
        "import tests.conftest, tests.support.servers\n"
        "assert '_local_services' not in sys.modules, 'imported a second time'\n"
        "assert tests.support.servers.moto_server.__module__ == 'examples._local_services'\n"
    )
    subprocess.run([sys.executable, "-c", code], cwd=ROOT, check=True, timeout=60)


def test_eventually_returns_the_first_truthy_result() -> None:
    answers: Iterator[object] = iter([None, 0, [], "found", "later"])
    assert eventually(lambda: next(answers)) == "found"


def test_eventually_fails_after_its_timeout() -> None:
    with pytest.raises(AssertionError, match=r"not met within 0\.05s"):
        eventually(lambda: None, timeout=0.05)
