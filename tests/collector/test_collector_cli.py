"""``otelkit collector render|check`` exit codes and output, in-process and as a process."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from otelkit.collector._cli import main
from tests.support.collector import SHIPPED, line_of


def test_render_prints_the_config(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["render", "--target", "lambda"]) == 0
    assert capsys.readouterr().out == (SHIPPED / "lambda" / "config.yaml").read_text()


def test_render_options_reach_the_model(capsys: pytest.CaptureFixture[str]) -> None:
    argv = [
        "render",
        "--target",
        "ecs",
        "--region",
        "eu-west-1",
        "--emf-namespace",
        "RezAgent",
        "--dimension",
        "message_type",
        "--id-key",
        "job_id",
        "--cloudwatch-logs",
    ]
    assert main(argv) == 0
    out = capsys.readouterr().out
    assert "region: eu-west-1" in out
    assert "namespace: RezAgent" in out
    assert "- [service.name, deployment.environment, message_type]" in out
    assert "indexed_attributes: [job_id]" in out
    assert "exporters: [otlphttp/loki, awscloudwatchlogs]" in out


def test_render_all_reproduces_the_shipped_tree(tmp_path: Path) -> None:
    assert main(["render", "--all", "--out", str(tmp_path)]) == 0
    written = sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*") if p.is_file())
    assert written
    for relative in written:
        assert (tmp_path / relative).read_text() == (SHIPPED / relative).read_text()


def test_render_refuses_an_id_key_dimension(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["render", "--target", "ecs", "--dimension", "session_id"]) == 2
    assert "'session_id' is a correlation ID key" in capsys.readouterr().err


def test_usage_errors_exit_2(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["render", "--target", "gke"]) == 2
    assert main(["render", "--all"]) == 2
    assert "give --out" in capsys.readouterr().err


def test_check_reports_one_line_per_problem(
    tmp_path: Path, ecs_text: str, capsys: pytest.CaptureFixture[str]
) -> None:
    broken = ecs_text.replace("exporters: [awsxray]", "exporters: [awsemf, nope]")
    path = tmp_path / "config.yaml"
    path.write_text(broken)
    assert main(["check", str(path)]) == 1
    line = line_of(broken, "exporters: [awsemf, nope]")
    assert capsys.readouterr().out.splitlines() == [
        f"{path}:{line}: exporter 'awsemf' cannot be used in a traces pipeline (it takes metrics)",
        f"{path}:{line}: pipeline 'traces' references undeclared exporter 'nope'",
    ]


def test_check_picks_the_lambda_layer_by_folder(
    tmp_path: Path, ecs_text: str, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = tmp_path / "lambda"
    folder.mkdir()
    (folder / "config.yaml").write_text(ecs_text)
    assert main(["check", str(folder / "config.yaml")]) == 1
    assert "the ADOT Lambda layer" in capsys.readouterr().out
    assert main(["check", "--distribution", "adot", str(folder / "config.yaml")]) == 0


def test_check_missing_file_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check", str(tmp_path / "absent.yaml")]) == 2
    assert "cannot read" in capsys.readouterr().err


def test_module_entry_point_as_a_process(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("receivers:\n  otlp: [\n")
    shipped = SHIPPED / "ecs" / "config.yaml"
    result = subprocess.run(
        [sys.executable, "-m", "otelkit.collector", "check", str(shipped), str(bad)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 1
    ok, line = result.stdout.splitlines()
    assert ok == f"{shipped}: ok (ADOT collector v0.49)"
    assert line.startswith(f"{bad}:3: YAML does not parse")


def test_check_prints_one_success_line_per_valid_file(
    tmp_path: Path, ecs_text: str, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = tmp_path / "lambda"
    folder.mkdir()
    (folder / "config.yaml").write_text((SHIPPED / "lambda" / "config.yaml").read_text())
    (tmp_path / "ecs.yaml").write_text(ecs_text)
    assert main(["check", str(folder / "config.yaml"), str(tmp_path / "ecs.yaml")]) == 0
    assert capsys.readouterr().out.splitlines() == [
        f"{folder / 'config.yaml'}: ok (the ADOT Lambda layer)",
        f"{tmp_path / 'ecs.yaml'}: ok (ADOT collector v0.49)",
    ]


def test_render_all_reports_each_file_once(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["render", "--all", "--out", str(tmp_path)]) == 0
    reported = capsys.readouterr().out.splitlines()
    assert len(reported) == len(set(reported))
    written = {f"wrote {p}" for p in tmp_path.rglob("*") if p.is_file()}
    assert set(reported) == written
