"""The CLI's edges: a missing extra, a closed pipe, ``--since``, ``--region``/``--profile``
and colour behave the same in every command that has them."""

from __future__ import annotations

import json
import os
import pty
import re
import secrets
import subprocess
import sys
import time
import tomllib
from datetime import UTC, datetime
from pathlib import Path

import boto3
import pytest
from packaging.requirements import Requirement

from tests.support.servers import moto_client

ROOT = Path(__file__).resolve().parents[1]
MODEL = ROOT / "examples" / "ops" / "rez_agent.yaml"

# The extra each command's one line names: what installs everything the command imports.
EXTRA_OF_COMMAND = {
    "collector": "collector",
    "ops": "ops",
    "logs": "botocore",
    "traces": "botocore",
}
# Installed as sitecustomize in a child: imports of the listed packages fail, as on an
# install without the extra that brings them.
_BLOCKER = """
import os, sys

class _Uninstalled:
    blocked = set(os.environ["OTELKIT_TEST_UNINSTALLED"].split(","))

    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in self.blocked:
            raise ModuleNotFoundError(f"No module named {name!r}", name=name)
        return None

sys.meta_path.insert(0, _Uninstalled())
"""


def _otelkit(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "otelkit", *args],
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
        cwd=ROOT,
    )


@pytest.fixture(scope="module")
def blocker(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("blocker")
    (folder / "sitecustomize.py").write_text(_BLOCKER)
    return folder


def _without(blocker: Path, *modules: str) -> dict[str, str]:
    path = os.pathsep.join(p for p in (str(blocker), os.environ.get("PYTHONPATH")) if p)
    return {**os.environ, "PYTHONPATH": path, "OTELKIT_TEST_UNINSTALLED": ",".join(modules)}


# (command line, package not installed) -> the extra the one line must name.
MISSING = [
    (("collector", "--help"), "yaml"),
    (("collector", "check", "examples/collector/missing.yaml"), "yaml"),
    (("ops", "render", str(MODEL), "--stage", "dev", "--out", "/nonexistent"), "troposphere"),
    (("ops", "render", str(MODEL), "--stage", "dev", "--out", "/nonexistent"), "yaml"),
    (
        ("ops", "render", str(MODEL), "--stage", "dev", "--out", "/nonexistent"),
        "grafana_foundation_sdk",
    ),
    (("logs", "tail", "--group", "/ecs/svc", "--region", "us-east-1"), "boto3"),
    (("logs", "errors", "--group", "/ecs/svc", "--region", "us-east-1"), "botocore"),
    (("traces", "find", "--annotation", "job_id=j", "--region", "us-east-1"), "boto3"),
]


@pytest.mark.slow
@pytest.mark.parametrize(("argv", "module"), MISSING, ids=lambda v: str(v)[:40])
def test_a_missing_extra_is_one_line_and_exit_3(
    blocker: Path, argv: tuple[str, ...], module: str
) -> None:
    result = _otelkit(*argv, env=_without(blocker, module))

    command = argv[0]
    assert (result.returncode, result.stderr) == (
        3,
        f"otelkit {command}: needs the '{module}' package: "
        f"pip install 'otelkit[{EXTRA_OF_COMMAND[command]}]'\n",
    )
    assert result.stdout == ""


# The distribution that provides each optional package.
_DISTRIBUTION = {
    "yaml": "pyyaml",
    "troposphere": "troposphere",
    "grafana_foundation_sdk": "grafana-foundation-sdk",
    "boto3": "boto3",
    "botocore": "boto3",  # boto3 requires it
}


def _extra(name: str, extras: dict[str, list[str]]) -> set[str]:
    """Every distribution ``otelkit[name]`` installs, nested extras followed."""
    found: set[str] = set()
    for text in extras[name]:
        requirement = Requirement(text)
        if requirement.name == "otelkit":
            for nested in requirement.extras:
                found |= _extra(nested, extras)
        else:
            found.add(requirement.name.lower())
    return found


@pytest.mark.parametrize(("argv", "module"), MISSING, ids=lambda v: str(v)[:40])
def test_the_extra_named_installs_the_missing_package(argv: tuple[str, ...], module: str) -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    extras: dict[str, list[str]] = project["optional-dependencies"]
    assert _DISTRIBUTION[module] in _extra(EXTRA_OF_COMMAND[argv[0]], extras)


def _log_file(folder: Path, count: int) -> Path:
    path = folder / "svc.jsonl"
    now = datetime.now(UTC).isoformat()
    path.write_text(
        "".join(
            json.dumps({"timestamp": now, "level": "ERROR", "service": "svc", "message": f"m{n}"})
            + "\n"
            for n in range(count)
        )
    )
    return path


@pytest.mark.slow
def test_logs_without_boto3_still_read_files(blocker: Path, tmp_path: Path) -> None:
    path = _log_file(tmp_path, 2)
    result = _otelkit(
        "logs", "tail", "--file", str(path), env=_without(blocker, "boto3", "botocore")
    )
    assert result.returncode == 0, result.stderr
    assert len(result.stdout.splitlines()) == 2


def test_a_closed_pipe_ends_quietly(tmp_path: Path) -> None:
    path = _log_file(tmp_path, 5000)  # far more than a pipe buffer holds
    pipeline = (
        f"set -o pipefail; {sys.executable} -m otelkit logs tail --file {path} --limit 5000 "
        "| head -1"
    )

    result = subprocess.run(
        ["bash", "-c", pipeline], capture_output=True, text=True, check=False, timeout=60
    )

    assert result.stderr == ""
    assert result.returncode == 0
    assert result.stdout.count("\n") == 1


def test_since_is_the_same_option_everywhere() -> None:
    for argv in (
        ("logs", "tail", "--group", "g", "--since", "soon"),
        ("traces", "find", "--annotation", "k=v", "--since", "soon"),
        ("traces", "find", "--annotation", "k=v", "--since", "6"),
    ):
        result = _otelkit(*argv)
        assert result.returncode == 2
        bad = argv[-1]
        assert f"argument --since: {bad!r}: a number and s, m, h or d, e.g. 2h" in result.stderr


def _regionless_env(aws_endpoint: str, **extra: str) -> dict[str, str]:
    """An environment with an endpoint and credentials but no region from anywhere."""
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith("AWS_") or key in {"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"}
    }
    env.setdefault("AWS_ACCESS_KEY_ID", "testing")
    env.setdefault("AWS_SECRET_ACCESS_KEY", "testing")
    return {**env, "AWS_ENDPOINT_URL": aws_endpoint, "AWS_CONFIG_FILE": os.devnull, **extra}


@pytest.mark.slow
def test_logs_and_traces_take_region_and_profile(aws_endpoint: str, tmp_path: Path) -> None:
    region = "eu-west-2"
    logs = boto3.client(
        "logs",
        endpoint_url=aws_endpoint,
        region_name=region,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )
    group = f"/ecs/regional-{secrets.token_hex(4)}"
    logs.create_log_group(logGroupName=group)
    logs.create_log_stream(logGroupName=group, logStreamName="task")
    line = {"timestamp": datetime.now(UTC).isoformat(), "level": "ERROR", "message": "in london"}
    logs.put_log_events(
        logGroupName=group,
        logStreamName="task",
        logEvents=[{"timestamp": int(time.time() * 1000), "message": json.dumps(line)}],
    )
    xray = boto3.client(
        "xray",
        endpoint_url=aws_endpoint,
        region_name=region,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )
    job = f"job-{secrets.token_hex(4)}"
    trace_id = f"1-{int(time.time()):08x}-{secrets.token_hex(12)}"
    xray.put_trace_segments(
        TraceSegmentDocuments=[
            json.dumps(
                {
                    "name": "api",
                    "id": secrets.token_hex(8),
                    "trace_id": trace_id,
                    "start_time": time.time()
                    - 5,  # well inside the window: the emulator compares whole seconds
                    "end_time": time.time() - 3,
                    "annotations": {"job_id": job},
                }
            )
        ]
    )
    env = _regionless_env(aws_endpoint)

    nowhere = _otelkit("logs", "tail", "--group", group, env=env)
    assert nowhere.returncode == 1
    assert "You must specify a region" in nowhere.stderr

    by_region = _otelkit("logs", "errors", "--group", group, "--region", region, "--json", env=env)
    assert by_region.returncode == 0, by_region.stderr
    assert [json.loads(x)["message"] for x in by_region.stdout.splitlines()] == ["in london"]

    traces = _otelkit(
        "traces",
        "find",
        "--annotation",
        f"job_id={job}",
        "--region",
        region,
        "--since",
        "2h",
        env=env,
    )
    assert traces.returncode == 0, traces.stderr
    assert traces.stdout.startswith(f"{trace_id}  ")

    # A named profile: its region and its credentials, none in the environment.
    config = tmp_path / "config"
    config.write_text(f"[profile ops]\nregion = {region}\n")
    credentials = tmp_path / "credentials"
    credentials.write_text("[ops]\naws_access_key_id = testing\naws_secret_access_key = testing\n")
    profile_env = _regionless_env(
        aws_endpoint, AWS_CONFIG_FILE=str(config), AWS_SHARED_CREDENTIALS_FILE=str(credentials)
    )
    del profile_env["AWS_ACCESS_KEY_ID"], profile_env["AWS_SECRET_ACCESS_KEY"]
    by_profile = _otelkit("logs", "tail", "--group", group, "--profile", "ops", env=profile_env)
    assert by_profile.returncode == 0, by_profile.stderr
    assert "in london" in by_profile.stdout
    unknown = _otelkit(
        "traces", "find", "--annotation", "k=v", "--profile", "nope", env=profile_env
    )
    assert unknown.returncode == 1
    assert unknown.stderr == (
        "otelkit traces: the AWS request failed: The config profile (nope) could not be found\n"
    )


_SGR = re.compile(r"\x1b\[[0-9;]*m")


def _coloured_run(path: Path, **env: str) -> str:
    base = {k: v for k, v in os.environ.items() if k not in {"NO_COLOR", "FORCE_COLOR"}}
    return _otelkit("logs", "tail", "--file", str(path), env={**base, **env}).stdout


def test_force_color_and_no_color(tmp_path: Path) -> None:
    path = _log_file(tmp_path, 1)
    forced = _coloured_run(path, FORCE_COLOR="1")
    assert "\x1b[31mERROR\x1b[0m" in forced
    assert "\x1b" not in _SGR.sub("", forced)
    assert "\x1b" not in _coloured_run(path, FORCE_COLOR="1", NO_COLOR="1")
    assert "\x1b" not in _coloured_run(path)  # a pipe: no colour unless forced
    assert "\x1b" not in _coloured_run(path, FORCE_COLOR="")  # set but empty: not set


def _on_a_terminal(argv: list[str], env: dict[str, str]) -> str:
    """What ``argv`` writes when its stdout is a terminal (a pseudo-terminal here)."""
    main, child_end = pty.openpty()
    child = subprocess.Popen(argv, stdout=child_end, stderr=subprocess.DEVNULL, env=env)
    os.close(child_end)
    chunks = []
    while True:
        try:
            chunk = os.read(main, 4096)
        except OSError:  # EIO: the child closed the terminal
            break
        if not chunk:
            break
        chunks.append(chunk)
    child.wait(timeout=30)
    os.close(main)
    return b"".join(chunks).decode()


@pytest.mark.slow
def test_a_terminal_gets_colour_unless_no_color(tmp_path: Path) -> None:
    path = _log_file(tmp_path, 1)
    argv = [sys.executable, "-m", "otelkit", "logs", "tail", "--file", str(path)]
    base = {k: v for k, v in os.environ.items() if k not in {"NO_COLOR", "FORCE_COLOR"}}
    base["TERM"] = "xterm"
    assert "\x1b[31mERROR\x1b[0m" in _on_a_terminal(argv, base)
    assert "\x1b" not in _on_a_terminal(argv, {**base, "NO_COLOR": "1"})


@pytest.mark.slow
def test_traces_find_stops_at_limit(aws_endpoint: str, aws_env: dict[str, str]) -> None:
    xray = moto_client("xray", aws_endpoint)
    job = f"job-{secrets.token_hex(4)}"
    ended = time.time() - 3  # the emulator compares whole seconds
    xray.put_trace_segments(
        TraceSegmentDocuments=[
            json.dumps(
                {
                    "name": "api",
                    "id": secrets.token_hex(8),
                    "trace_id": f"1-{int(ended):08x}-{secrets.token_hex(12)}",
                    "start_time": ended - 1,
                    "end_time": ended,
                    "annotations": {"job_id": job},
                }
            )
            for _ in range(3)
        ]
    )

    every = _otelkit("traces", "find", "--annotation", f"job_id={job}", env=aws_env)
    two = _otelkit("traces", "find", "--annotation", f"job_id={job}", "--limit", "2", env=aws_env)

    assert every.returncode == 0, every.stderr
    assert len(every.stdout.splitlines()) == 3
    assert len(two.stdout.splitlines()) == 2
