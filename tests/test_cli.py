"""The installed ``otelkit`` command dispatches to its subcommands."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _otelkit() -> list[str]:
    script = Path(sys.executable).with_name("otelkit")
    return [str(script)] if script.exists() else [shutil.which("otelkit") or "otelkit"]


def test_collector_check_through_the_console_script() -> None:
    result = subprocess.run(
        [*_otelkit(), "collector", "check", str(ROOT / "collector" / "ecs" / "config.yaml")],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_unknown_command_prints_usage_and_exits_2() -> None:
    result = subprocess.run(
        [*_otelkit(), "frobnicate"], capture_output=True, text=True, check=False
    )
    assert result.returncode == 2
    assert "usage: otelkit <command>" in result.stderr


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*_otelkit(), *args], capture_output=True, text=True, check=False)


def test_version_prints_the_package_version() -> None:
    from otelkit import __version__

    result = _run("--version")
    assert (result.returncode, result.stdout) == (0, f"otelkit {__version__}\n")


def test_usage_errors_name_what_was_wrong() -> None:
    unknown = _run("frobnicate")
    assert "unknown command 'frobnicate' (choose from collector, ops" in unknown.stderr
    missing = _run()
    assert (missing.returncode, missing.stderr.splitlines()[-1]) == (2, "otelkit: no command given")
    bad_option = _run("ops", "render", "examples/ops/rez_agent.yaml", "--out", "x")
    assert bad_option.returncode == 2
    assert "the following arguments are required: --stage" in bad_option.stderr


def test_a_missing_extra_is_one_line_naming_the_install() -> None:
    # As if troposphere were not installed: an import of it fails.
    code = (
        "import sys; sys.modules['troposphere'] = None; "
        "from otelkit.__main__ import main; "
        "sys.exit(main(['ops', 'render', 'examples/ops/rez_agent.yaml', "
        "'--stage', 'prod', '--out', sys.argv[1]]))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code, "/nonexistent"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 3
    assert result.stderr == (
        "otelkit ops: needs the 'troposphere' package: pip install 'otelkit[ops]'\n"
    )


def test_ops_render_writes_every_output(tmp_path: Path) -> None:
    result = _run(
        "ops",
        "render",
        str(ROOT / "examples" / "ops" / "bot_worker_fleet.yaml"),
        "--stage",
        "prod",
        "--out",
        str(tmp_path),
    )
    assert result.returncode == 0, result.stderr
    written = {
        Path(line.removeprefix("wrote ")).relative_to(tmp_path).as_posix()
        for line in result.stdout.splitlines()
    }
    assert {
        "cloudformation.yaml",
        "prometheus-rules.yaml",
        "grafana/bot-worker-prod-overview.json",
        "queries/failed-jobs.insights",
        "queries/failed-jobs.logql",
    } <= written
    assert all((tmp_path / name).stat().st_size > 0 for name in written)


def test_ops_render_of_a_broken_model_names_the_field(tmp_path: Path) -> None:
    model = tmp_path / "m.yaml"
    model.write_text("service: s\nworkload: lambda_api\nnamespace: N\nruntbooks: x\n")
    result = _run("ops", "render", str(model), "--stage", "prod", "--out", str(tmp_path))
    assert result.returncode == 1
    assert result.stderr.startswith(
        f"otelkit ops render: {model}: model: unknown field 'runtbooks'"
    )


def test_import_otelkit_stays_light() -> None:
    code = (
        "import sys, otelkit; heavy = {'troposphere', 'grafana_foundation_sdk', 'boto3'}"
        " & set(sys.modules); print(sorted(heavy))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "[]"
