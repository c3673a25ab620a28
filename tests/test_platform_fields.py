"""Platform fields: host, container ID and region detected onto every line."""

from __future__ import annotations

import json
import socket
from pathlib import Path
from typing import Any

import pytest

import otelkit
from otelkit._process.platform import container_id, platform_fields
from tests.support.otlp_receiver import otlp_receiver

DOCKER_ID = "a1b2c3" + "d" * 58


def _lines(capsys: pytest.CaptureFixture[str]) -> list[dict[str, Any]]:
    return [
        json.loads(line) for line in capsys.readouterr().out.splitlines() if line.startswith("{")
    ]


def test_fly_region_container_and_host_are_on_every_line(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FLY_REGION", "us-west-1")
    monkeypatch.setenv("FLY_MACHINE_ID", "3d8d9e1b")
    monkeypatch.setenv("OTELKIT_PLATFORM_FIELDS", "true")
    otelkit.configure(log_format="json", console=False, static_fields={"region": "override"})
    otelkit.get_logger("w").info("Processing user request")
    (line,) = _lines(capsys)
    assert line["hostname"] == socket.gethostname()
    assert line["region"] == "override", "static_fields win"
    assert line["container_id"] in {"3d8d9e1b", container_id({})}


def test_off_by_default(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FLY_REGION", "us-west-1")
    otelkit.configure(log_format="json", console=False)
    otelkit.get_logger("w").info("x")
    assert "region" not in _lines(capsys)[0]


@pytest.mark.parametrize(
    ("cgroup", "expected"),
    [
        (f"0::/system.slice/docker-{DOCKER_ID}.scope\n", DOCKER_ID),
        (f"12:pids:/docker/{DOCKER_ID}\n", DOCKER_ID),
        (f"0::/kubepods/burstable/pod1/cri-containerd-{DOCKER_ID}.scope\n", DOCKER_ID),
        ("0::/\n", None),
    ],
)
def test_container_id_from_cgroup(tmp_path: Path, cgroup: str, expected: str | None) -> None:
    (tmp_path / "cgroup").write_text(cgroup)
    assert container_id({}, tmp_path) == expected


def test_container_id_from_mountinfo_when_cgroup_v2_says_nothing(tmp_path: Path) -> None:
    (tmp_path / "cgroup").write_text("0::/\n")
    (tmp_path / "mountinfo").write_text(
        f"812 790 0:190 /var/lib/docker/containers/{DOCKER_ID}/hostname /etc/hostname rw\n"
    )
    assert container_id({}, tmp_path) == DOCKER_ID


def test_ecs_and_kubernetes_downward_api(tmp_path: Path) -> None:
    ecs = {
        "ECS_CONTAINER_METADATA_URI_V4": "http://169.254.170.2/v4/9f3a1c-2283",
        "AWS_REGION": "eu-west-1",
    }
    assert platform_fields(ecs, tmp_path) | {"hostname": "h"} == {
        "hostname": "h",
        "container_id": "9f3a1c-2283",
        "region": "eu-west-1",
    }
    k8s = {
        "POD_NAME": "api-7d9f",
        "POD_UID": "5e1c-77",
        "NODE_NAME": "ip-10-0-1-5",
        "POD_NAMESPACE": "prod",
    }
    assert platform_fields(k8s, tmp_path) == {
        "hostname": "api-7d9f",
        "container_id": "5e1c-77",
        "node": "ip-10-0-1-5",
        "namespace": "prod",
    }


def test_platform_fields_reach_the_resource_under_semantic_names(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """On the OTLP wire each signal's resource names the host, container and region (on
    /metrics that is ``target_info``); OTEL_RESOURCE_ATTRIBUTES still wins."""
    monkeypatch.setenv("FLY_REGION", "us-west-1")
    monkeypatch.setenv("ECS_CONTAINER_METADATA_URI_V4", "http://169.254.170.2/v4/9f3a1c-2283")
    monkeypatch.setenv("OTEL_RESOURCE_ATTRIBUTES", "worker_id=worker-1,host.name=bot-server-01")
    with otlp_receiver() as (endpoint, received):
        otelkit.configure(endpoint=endpoint, log_stdout=False, console=False, platform_fields=True)
        with otelkit.span("navigate"):
            pass
        assert otelkit.flush(timeout=5.0)
        [resource] = received.resources()
    assert resource["cloud.region"] == "us-west-1"
    assert resource["container.id"] == "9f3a1c-2283"
    assert resource["host.name"] == "bot-server-01", "OTEL_RESOURCE_ATTRIBUTES wins"
    assert resource["worker_id"] == "worker-1"


def test_resource_has_no_platform_attributes_when_off(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FLY_REGION", "us-west-1")
    with otlp_receiver() as (endpoint, received):
        otelkit.configure(endpoint=endpoint, log_stdout=False, console=False)
        with otelkit.span("navigate"):
            pass
        assert otelkit.flush(timeout=5.0)
        [resource] = received.resources()
    assert "cloud.region" not in resource
