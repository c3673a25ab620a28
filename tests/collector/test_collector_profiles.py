"""A collector target is one profile: a new entry renders, checks and validates, and no
module decides by comparing target names."""

from __future__ import annotations

import ast
import json
from pathlib import Path

import pytest
import yaml

import otelkit.collector
from otelkit.collector import ADOT, LAMBDA, TARGETS, check_text, model_for, render_text
from otelkit.collector._bundle import RENDERERS, render_files
from otelkit.collector._cli import main
from otelkit.collector._profiles import PROFILES, Profile, distribution_for_path
from tests.collector.real_collector import validate

#: A target the project does not ship: an EC2 host running the collector as a service.
EC2 = Profile(
    name="ec2",
    header=("ADOT collector v0.49 as a systemd service on an EC2 host.",),
    distribution=ADOT,
    artifacts=(("ec2/config.yaml", "config"), ("iam/collector-policy.json", "iam_policy")),
    detectors=("env", "system"),
)


@pytest.fixture
def ec2_profile(monkeypatch: pytest.MonkeyPatch) -> Profile:
    monkeypatch.setitem(PROFILES, EC2.name, EC2)
    return EC2


def test_a_new_profile_renders_through_the_cli(ec2_profile: Profile, tmp_path: Path) -> None:
    assert main(["render", "--target", "ec2", "--cloudwatch-logs", "--out", str(tmp_path)]) == 0
    config_path = tmp_path / "ec2" / "config.yaml"
    text = config_path.read_text(encoding="utf-8")
    assert text.startswith("# ADOT collector v0.49 as a systemd service on an EC2 host.\n")
    config = yaml.safe_load(text)
    assert config["processors"]["resourcedetection"]["detectors"] == ["env", "system"]
    assert config["service"]["pipelines"]["traces"]["exporters"] == ["awsxray"]
    assert config["exporters"]["awsemf"]["log_group_name"] == "/otelkit/metrics"
    policy = json.loads((tmp_path / "iam" / "collector-policy.json").read_text())
    granted = {arn for statement in policy["Statement"] for arn in statement["Resource"]}
    assert "arn:aws:logs:*:*:log-group:/otelkit/logs:log-stream:*" in granted
    assert sorted(p.name for p in tmp_path.rglob("*") if p.is_file()) == [
        "collector-policy.json",
        "config.yaml",
    ]
    assert check_text(text, ec2_profile.distribution) == []


def test_a_new_profile_passes_the_real_collectors_validate(ec2_profile: Profile) -> None:
    ok, output = validate(render_text(model_for(ec2_profile.name, cloudwatch_logs=True)))
    assert ok, output


def test_an_unknown_target_is_refused_with_the_known_ones(
    capsys: pytest.CaptureFixture[str],
) -> None:
    with pytest.raises(ValueError, match=r"unknown collector target 'ec2' \(known: ecs, eks, "):
        model_for("ec2")
    assert main(["render", "--target", "ec2"]) == 2
    assert "invalid choice: 'ec2'" in capsys.readouterr().err


def test_shipped_targets_are_the_profiles() -> None:
    assert TARGETS == tuple(PROFILES) == ("ecs", "eks", "lambda", "local")
    for profile in PROFILES.values():
        assert {kind for _, kind in profile.artifacts} <= set(RENDERERS)
        assert (f"{profile.name}/config.yaml", "config") in profile.artifacts
        assert set(render_files(model_for(profile.name))) == {p for p, _ in profile.artifacts}


def test_what_a_profile_can_do_follows_from_its_distribution() -> None:
    assert PROFILES["lambda"].distribution is LAMBDA
    assert not PROFILES["lambda"].processes
    assert not PROFILES["lambda"].has_cloudwatch_logs
    assert all(PROFILES[t].processes for t in ("ecs", "eks", "local"))


@pytest.mark.parametrize(
    ("parts", "expected"),
    [
        (("collector", "lambda", "config.yaml"), LAMBDA),
        (("lambda", "ecs", "config.yaml"), ADOT),
        (("collector", "ecs", "config.yaml"), ADOT),
        (("lambda.yaml",), ADOT),
        (("somewhere", "config.yaml"), ADOT),
    ],
)
def test_check_picks_the_build_of_the_innermost_target_folder(
    parts: tuple[str, ...], expected: object
) -> None:
    assert distribution_for_path(parts) is expected


def _target_name_comparisons(source: str) -> list[str]:
    """``x == "lambda"``, ``x in ("ecs", "eks")``… in a module's code."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Compare):
            for constant in ast.walk(node):
                if isinstance(constant, ast.Constant) and constant.value in TARGETS:
                    found.append(f"line {node.lineno}: {ast.unparse(node)}")
    return found


def test_no_collector_module_branches_on_a_target_name() -> None:
    package = Path(otelkit.collector.__file__).parent
    offenders = {
        path.name: hits
        for path in sorted(package.glob("*.py"))
        if (hits := _target_name_comparisons(path.read_text(encoding="utf-8")))
    }
    assert offenders == {}


def test_the_branch_finder_finds_branches() -> None:
    assert _target_name_comparisons('if target == "lambda":\n    pass\n') == [
        "line 1: target == 'lambda'"
    ]
