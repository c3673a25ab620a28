"""The package as users install it: the wheel's contents, its licence, its extras, and the
tested range of the beta instrumentation packages."""

from __future__ import annotations

import subprocess
import sys
import tomllib
import zipfile
from email.parser import Parser
from importlib import metadata
from pathlib import Path

import pytest
from packaging.requirements import Requirement

ROOT = Path(__file__).resolve().parent.parent
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())
EXTRAS: dict[str, list[str]] = PYPROJECT["project"]["optional-dependencies"]
BETA = "opentelemetry-instrumentation-"


def requirements(extra: str) -> list[Requirement]:
    return [Requirement(text) for text in EXTRAS[extra]]


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> zipfile.ZipFile:
    out = tmp_path_factory.mktemp("dist")
    subprocess.run(
        [sys.executable, "-m", "hatchling", "build", "-t", "wheel", "-d", str(out)],
        cwd=ROOT,
        check=True,
        capture_output=True,
        timeout=120,
    )
    [built] = out.glob("otelkit-*.whl")
    return zipfile.ZipFile(built)


def test_the_licence_file_is_the_apache_2_text() -> None:
    text = (ROOT / "LICENSE").read_text()
    assert text.lstrip().startswith("Apache License")
    assert "Version 2.0, January 2004" in text
    assert "END OF TERMS AND CONDITIONS" in text
    assert PYPROJECT["project"]["license"] == "Apache-2.0"


@pytest.mark.slow
def test_the_wheel_holds_the_package_its_licence_and_nothing_else(wheel: zipfile.ZipFile) -> None:
    names = wheel.namelist()
    assert "otelkit/__init__.py" in names
    assert "otelkit/py.typed" in names  # typed for users' mypy
    assert "otelkit/_sdk/providers.py" in names
    assert not [n for n in names if n.startswith(("tests/", "examples/", "benchmarks/"))]
    [licence] = [n for n in names if n.endswith(".dist-info/licenses/LICENSE")]
    assert wheel.read(licence) == (ROOT / "LICENSE").read_bytes()
    entry_points = wheel.read(next(n for n in names if n.endswith("entry_points.txt")))
    assert b"otelkit = otelkit.__main__:main" in entry_points
    assert b"otelkit = otelkit.testing" in entry_points  # the pytest plugin
    # zero-code launch: opentelemetry-instrument finds otelkit as distro and configurator
    assert b"[opentelemetry_distro]\notelkit = otelkit._distro:OtelkitDistro" in entry_points
    assert b"[opentelemetry_configurator]\notelkit = otelkit._distro:OtelkitConfigurator" in (
        entry_points
    )


@pytest.mark.slow
def test_the_wheel_metadata_declares_the_licence_and_every_extra(wheel: zipfile.ZipFile) -> None:
    meta = Parser().parsestr(
        wheel.read(next(n for n in wheel.namelist() if n.endswith(".dist-info/METADATA"))).decode()
    )
    assert meta["License-Expression"] == "Apache-2.0"
    assert meta["License-File"] == "LICENSE"
    assert set(meta.get_all("Provides-Extra") or []) == set(EXTRAS)
    assert not {"dev", "demo"} & set(EXTRAS), "tools are dependency groups, not published"
    required = meta.get_all("Requires-Dist") or []
    assert not [r for r in required if Requirement(r).name in {"pytest", "mypy", "ruff", "moto"}]


def test_beta_instrumentations_have_an_upper_bound_the_installed_version_meets() -> None:
    found = [r for extra in EXTRAS for r in requirements(extra) if r.name.startswith(BETA)]
    assert {r.name for r in found} >= {
        f"{BETA}{n}" for n in ("botocore", "httpx", "asgi", "wsgi", "system-metrics")
    }
    for requirement in found:
        assert any(spec.operator in ("<", "<=", "==", "~=") for spec in requirement.specifier), (
            f"{requirement} has no upper bound"
        )
        installed = metadata.version(requirement.name)
        assert requirement.specifier.contains(installed, prereleases=True), (
            f"the suite runs {requirement.name} {installed}, outside {requirement.specifier}"
        )


def test_make_demo_installs_the_demo_group_and_no_test_tools() -> None:
    groups = PYPROJECT["dependency-groups"]
    demo = {Requirement(r).name for r in groups["demo"]}
    assert {"moto", "flask", "flask-cors", "fastapi", "uvicorn", "redis"} <= demo
    assert not demo & {"pytest", "mypy", "ruff"}
    recipe = (ROOT / "Makefile").read_text().split("\n$(DEMO_STAMP):", 1)[1].split("\n\n")[0]
    assert "--group demo" in recipe
    assert "'pip>=25.1'" in recipe  # the first pip that installs dependency groups
    assert "--group dev" not in recipe


#: The extras users guess -> the extras they stand for.
ALIASES = {
    "aws": "botocore",
    "lambda": "botocore",
    "fastapi": "asgi",
    "starlette": "asgi",
    "flask": "wsgi",
    "django": "wsgi",
    "prometheus": "runtime",
}


#: Guessed extras that also bring their framework's own upstream instrumentation.
FRAMEWORK_INSTRUMENTED = {"fastapi", "django"}


def test_the_extras_users_guess_are_aliases_of_real_ones() -> None:
    for alias, target in ALIASES.items():
        own = [f"opentelemetry-instrumentation-{alias}"] if alias in FRAMEWORK_INSTRUMENTED else []
        assert [EXTRAS[alias][0], *(r.split(">")[0] for r in EXTRAS[alias][1:])] == [
            f"otelkit[{target}]",
            *own,
        ], alias


def test_the_grafana_sdk_is_pinned_to_the_build_the_suite_runs() -> None:
    [pinned] = [r for r in requirements("ops") if r.name == "grafana-foundation-sdk"]
    assert [spec.operator for spec in pinned.specifier] == ["=="]
    assert pinned.specifier.contains(metadata.version("grafana-foundation-sdk"))
