"""``otelkit ops render`` compiles models it cannot trust: names are checked before they
reach a path or a query language, files stay inside ``--out``, and reading the YAML is
bounded in size, nesting and expansion."""

from __future__ import annotations

import copy
import os
import time
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from otelkit.__main__ import main
from otelkit.ops import ModelError, parse_model, render
from otelkit.ops._names import KINDS, checked
from otelkit.ops._output import write_inside
from tests.test_ops_render import template

ROOT = Path(__file__).resolve().parents[1]
FLEET = ROOT / "examples" / "ops" / "bot_worker_fleet.yaml"
MINIMAL: dict[str, Any] = {
    "service": "svc",
    "workload": "job_pipeline",
    "namespace": "Svc",
    "runbooks": "https://example.com/runbooks",
    "retention": {"prod": 30},
    "resources": {"jobs": ["work"]},
    "metrics": {"M": "Count", "Bad": "Count", "All": "Count"},
}
_ALARM = {"name": "a", "metric": "M", "threshold": 1, "description": "d", "runbook": "r"}
_SLO = {
    "name": "s",
    "objective": 99,
    "bad": {"metric": "Bad"},
    "total": [{"metric": "All"}],
    "runbook": "r",
}
_RULE = {"alert": "A", "expr": "up == 0", "summary": "s", "runbook": "r"}


def _cli(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str]:
    code = main(["ops", "render", *argv])
    captured = capsys.readouterr()
    return code, captured.err


def _files_under(folder: Path) -> set[Path]:
    return {p for p in folder.rglob("*") if p.is_file() or p.is_symlink()}


def test_a_stage_cannot_climb_out_of_out(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "a" / "b" / "c" / "out"
    code, err = _cli(capsys, str(FLEET), "--stage", "x/../../../../pwned", "--out", str(out))
    assert code == 1
    assert err.startswith("otelkit ops render: stage: 'x/../../../../pwned' is not a valid name")
    assert _files_under(tmp_path) == set()


def test_a_service_cannot_climb_out_of_out(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    model = tmp_path / "model.yaml"
    model.write_text(FLEET.read_text().replace("service: bot-worker", "service: ../../../pwned"))
    out = tmp_path / "a" / "b" / "out"
    code, err = _cli(capsys, str(model), "--stage", "prod", "--out", str(out))
    assert code == 1
    assert "service: '../../../pwned' is not a valid name" in err
    assert _files_under(tmp_path) == {model}


def test_a_scrape_job_cannot_rewrite_the_promql(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    model = tmp_path / "model.yaml"
    model.write_text(
        FLEET.read_text().replace(
            "scrape_job: bot-workers", "scrape_job: 'x\"} == 0 or vector(1) #'"
        )
    )
    code, err = _cli(capsys, str(model), "--stage", "prod", "--out", str(tmp_path / "out"))
    assert code == 1
    assert "resources.scrape_job: 'x\"} == 0 or vector(1) #' is not a valid name" in err
    assert not (tmp_path / "out").exists()


def _with(path: str, value: Any) -> dict[str, Any]:
    """MINIMAL with ``value`` at ``path`` (dots and [i] as in the error messages)."""
    data = copy.deepcopy(
        {**MINIMAL, "alarms": [dict(_ALARM)], "slos": [dict(_SLO)], "prometheus_rules": [_RULE]}
    )
    data["log_groups"] = ["/ecs/svc"]
    data["archive"] = {
        "destination_arn": "arn:aws:firehose:us-east-1:1:deliverystream/x",
        "role_arn": "arn:aws:iam::1:role/x",
    }
    keys = path.replace("[", ".").replace("]", "").split(".")
    target: Any = data
    for key in keys[:-1]:
        target = target[int(key)] if key.isdigit() else target.setdefault(key, {})
    last = keys[-1]
    if last.isdigit():
        target[int(last)] = value
    else:
        target[last] = value
    return data


HOSTILE = ['x"y', "x'y", "x{y}#", "a b", "x$y", "x\\y", "x\ny", "..", "x/../y", "x`y"]
# field -> the text its error names.
FIELDS = {
    "service": "service",
    "namespace": "model.namespace",
    "alarms[0].name": "alarms[0].name",
    "alarms[0].metric": "alarms[0].metric",
    "alarms[0].namespace": "alarms[0].namespace",
    "slos[0].name": "slos[0].name",
    "log_groups[0]": "log_groups[0]",
    "resources.jobs[0]": "resources.jobs[0]",
    "resources.scrape_job": "resources.scrape_job",
    "prometheus_rules[0].alert": "prometheus_rules[0].alert",
    "archive.role_arn": "archive.role_arn",
}


@pytest.mark.parametrize("value", HOSTILE)
@pytest.mark.parametrize("field", FIELDS)
def test_every_name_is_checked_before_it_is_used(field: str, value: str) -> None:
    data = _with(field, value)
    if field == "alarms[0].namespace":
        data["alarms"][0]["stat"] = "Sum"
    with pytest.raises(ModelError, match=r"is not a valid name here") as caught:
        parse_model(data)
    assert str(caught.value).startswith(f"{FIELDS[field]}: ")


@pytest.mark.parametrize(
    ("dimensions", "where"),
    [
        ({'k"': "v"}, "alarms[0].dimensions"),
        ({"k": "v'} or"}, "alarms[0].dimensions.k"),
        ({"k": "a*"}, "alarms[0].dimensions.k"),
    ],
)
def test_dimension_names_and_values_are_checked(dimensions: dict[str, str], where: str) -> None:
    data = _with("alarms[0].dimensions", dimensions)
    with pytest.raises(ModelError, match=r"is not a valid name here") as caught:
        parse_model(data)
    assert str(caught.value).startswith(f"{where}: ")


def test_a_prometheus_for_is_a_duration() -> None:
    with pytest.raises(ModelError, match=r"^prometheus_rules\[0\]\.for: '5m\\n  labels"):
        parse_model(_with("prometheus_rules[0].for", "5m\n  labels: {x: y}"))


def test_the_example_names_stay_valid() -> None:
    model = parse_model(
        _with("alarms[0].dimensions", {"http.route": "/users/{user_id}", "FunctionName": "*"})
    )
    assert model.alarms[0].metric.dimensions["http.route"] == "/users/{user_id}"


@pytest.mark.parametrize("stage", ["x/../../pwned", "..", "", "a b", 'a"b', "a{service}", "a#b"])
def test_render_refuses_a_stage_that_is_not_a_name(tmp_path: Path, stage: str) -> None:
    with pytest.raises(ModelError, match=r"^stage: "):
        render(parse_model(MINIMAL), stage, tmp_path / "out")
    assert _files_under(tmp_path) == set()


def test_dollar_braces_in_dashboard_text_stay_literal_in_fn_sub(tmp_path: Path) -> None:
    data = {
        **MINIMAL,
        "widgets": [{"title": "${AWS::AccountId} ${Other}", "metrics": [{"metric": "M"}]}],
    }
    render(parse_model(data), "prod", tmp_path)
    body = template(tmp_path)["Resources"]["Dashboard"]["Properties"]["DashboardBody"]
    assert "${!AWS::AccountId} ${!Other}" in body
    assert '"region":"${AWS::Region}"' in body


def test_a_symlinked_file_in_out_is_replaced_not_followed(tmp_path: Path) -> None:
    out, victim = tmp_path / "out", tmp_path / "victim.txt"
    out.mkdir()
    victim.write_text("precious\n")
    (out / "cloudformation.yaml").symlink_to(victim)
    linked = tmp_path / "hardlinked.txt"
    linked.write_text("also precious\n")
    (out / "grafana").mkdir()
    os.link(linked, out / "grafana" / "svc-prod-overview.json")

    written = render(parse_model(MINIMAL), "prod", out)

    assert victim.read_text() == "precious\n"
    assert linked.read_text() == "also precious\n"
    assert not (out / "cloudformation.yaml").is_symlink()
    assert (out / "cloudformation.yaml").read_text().startswith("Description: 'Operations for svc")
    assert all(path.resolve().is_relative_to(out.resolve()) for path in written)
    assert not [p for p in out.rglob("*.tmp")]


def test_a_symlinked_folder_in_out_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out, elsewhere = tmp_path / "out", tmp_path / "elsewhere"
    out.mkdir()
    elsewhere.mkdir()
    (out / "grafana").symlink_to(elsewhere)

    code, err = _cli(capsys, str(FLEET), "--stage", "prod", "--out", str(out))

    assert code == 2
    assert err == (
        f"otelkit ops render: cannot write {out / 'grafana'}: "
        "not a folder of its own (a symbolic link or a file)\n"
    )
    assert list(elsewhere.iterdir()) == []


def test_output_paths_cannot_leave_the_folder(tmp_path: Path) -> None:
    for relative in ("../x", "/etc/x", "a/../../x", ""):
        with pytest.raises(ModelError, match="stays inside the output folder"):
            write_inside(tmp_path / "out", relative, "x")
    assert _files_under(tmp_path) == set()


def _laughs(levels: int) -> str:
    lines = ['l0: &l0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    for level in range(1, levels + 1):
        refs = ", ".join([f"*l{level - 1}"] * 9)
        lines.append(f"l{level}: &l{level} [{refs}]")
    return "\n".join(lines) + "\n"


def test_yaml_aliases_are_refused_before_they_expand(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    model = tmp_path / "laughs.yaml"
    model.write_text(FLEET.read_text() + _laughs(7))
    assert model.stat().st_size < 5000

    started = time.monotonic()
    code, err = _cli(capsys, str(model), "--stage", "prod", "--out", str(tmp_path / "out"))

    assert time.monotonic() - started < 2
    assert code == 1
    assert "YAML aliases (*name) are not accepted in an ops model" in err
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize(
    "nested",
    [
        "a: " + "[" * 100_000 + "]" * 100_000,
        "a: " + "{b: " * 50_000 + "1" + "}" * 50_000,
        "a:" + "".join("\n" + " " * i + "- " for i in range(1, 400)),
    ],
    ids=["flow-lists", "flow-maps", "block-lists"],
)
def test_deep_yaml_is_one_line_not_a_traceback(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], nested: str
) -> None:
    model = tmp_path / "deep.yaml"
    model.write_text(nested + "\n")
    code, err = _cli(capsys, str(model), "--stage", "prod", "--out", str(tmp_path / "out"))
    assert code == 1
    assert err.startswith(f"otelkit ops render: {model}: line ")
    assert err.endswith(": nested deeper than 32 levels\n")


def test_a_model_over_1_mib_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    model = tmp_path / "big.yaml"
    model.write_text(FLEET.read_text() + "#" + "x" * (1 << 20) + "\n")
    code, err = _cli(capsys, str(model), "--stage", "prod", "--out", str(tmp_path / "out"))
    assert code == 1
    assert err == f"otelkit ops render: {model}: larger than 1 MiB; an ops model is a few KB\n"


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(service=st.text(max_size=20), stage=st.text(max_size=20))
def test_any_names_render_inside_out_or_are_refused(
    tmp_path: Path, service: str, stage: str
) -> None:
    out = tmp_path / "nest" / "out"
    try:
        written = render(parse_model({**MINIMAL, "service": service}), stage, out)
    except ModelError:
        return
    for path in written:
        assert path.resolve().is_relative_to(out.resolve())
    assert all(p.resolve().is_relative_to(out.resolve()) for p in _files_under(tmp_path))


@pytest.mark.parametrize("kind", sorted(KINDS))
@pytest.mark.parametrize("unit", ["a", "a.", "1m", "{stage}", "a" * 511 + '"'])
def test_checking_a_1_mb_name_is_quick(kind: str, unit: str) -> None:
    text = unit * ((1 << 20) // len(unit))
    started = time.perf_counter()
    with pytest.raises(ModelError, match="is not a valid name here") as caught:
        checked(text, kind, "x")
    assert time.perf_counter() - started < 0.2
    assert len(str(caught.value)) < 400  # the message shows the start, not the megabyte
