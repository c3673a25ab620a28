"""The files in collector/ are exactly the renderer's output, and all of them check clean."""

from __future__ import annotations

import pytest

from otelkit.collector import TARGETS, model_for
from otelkit.collector._bundle import render_files
from otelkit.collector._cli import main
from otelkit.collector._gateway_deploy import gateway_files
from otelkit.collector._render import GENERATED
from tests.support.collector import SHIPPED

RENDERED = {
    path: text
    for t in TARGETS
    for files in (render_files(model_for(t)), gateway_files(model_for(t)))
    for path, text in files.items()
}
GATEWAY_CONFIGS = sorted(SHIPPED.glob("gateway/*/*-config.yaml"))


@pytest.mark.parametrize("relative", sorted(RENDERED))
def test_shipped_file_matches_renderer(relative: str) -> None:
    shipped = (SHIPPED / relative).read_text(encoding="utf-8")
    assert shipped == RENDERED[relative], (
        f"collector/{relative} is stale: run python -m otelkit.collector render --all "
        "--out collector/"
    )


def test_every_generated_file_is_rendered() -> None:
    generated = {
        str(path.relative_to(SHIPPED))
        for path in SHIPPED.rglob("*")
        if path.suffix in (".yaml", ".json")
        and (path.suffix == ".json" or GENERATED in path.read_text(encoding="utf-8"))
    }
    assert generated == set(RENDERED)


def test_shipped_configs_check_clean(capsys: pytest.CaptureFixture[str]) -> None:
    configs = sorted(str(p) for p in SHIPPED.glob("*/config.yaml"))
    rendered = sorted(str(SHIPPED / p) for p in RENDERED if p.endswith("/config.yaml"))
    assert configs == rendered
    assert main(["check", *configs]) == 0
    assert [line.split(": ok ")[0] for line in capsys.readouterr().out.splitlines()] == configs


def test_gateway_configs_check_clean(capsys: pytest.CaptureFixture[str]) -> None:
    rendered = sorted(SHIPPED / p for p in RENDERED if p.endswith("-config.yaml"))
    assert rendered == GATEWAY_CONFIGS
    assert len(rendered) == 4  # agent and gateway, for ECS and EKS
    assert main(["check", *map(str, GATEWAY_CONFIGS)]) == 0
    assert capsys.readouterr().out.count(": ok (ADOT collector v0.49)") == 4
