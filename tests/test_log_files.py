"""Log files: JSON lines under LOG_DIR/<service>/, rotated, gzipped, shared by processes."""

from __future__ import annotations

import gzip
import json
import os
import subprocess
import sys
import textwrap
import time
from pathlib import Path
from typing import Any

import pytest

import otelkit
from otelkit._logs.files import SharedRotatingFile

log = otelkit.get_logger("bot")


def read_back(directory: Path) -> list[dict[str, Any]]:
    """Every line of the live file and its gzipped archives, oldest archive first."""
    lines: list[dict[str, Any]] = []
    archives = sorted(
        directory.glob("*.jsonl.*.gz"), key=lambda p: int(p.name.split(".")[-2]), reverse=True
    )
    for archive in archives:
        with gzip.open(archive, "rt", encoding="utf-8") as text:
            lines += [json.loads(line) for line in text]
    live = next(directory.glob("*.jsonl"), None)
    if live is not None:
        lines += [json.loads(line) for line in live.read_text(encoding="utf-8").splitlines()]
    return lines


def test_lines_go_to_the_service_directory_and_stdout(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("LOG_TO_FILE", "1")
    monkeypatch.setenv("LOG_DIR", str(tmp_path / "logs"))
    otelkit.configure(service_name="bot", log_format="pretty", console=False)
    with otelkit.job("browser.navigate", job_id="job-1"):
        log.info("Page loaded", url="https://example.com")
    otelkit.shutdown()
    lines = read_back(tmp_path / "logs" / "bot")
    assert [line["message"] for line in lines] == ["JOB_STARTED", "Page loaded", "JOB_COMPLETED"]
    assert all(line["job_id"] == "job-1" and line["service"] == "bot" for line in lines)
    assert "Page loaded" in capsys.readouterr().out, "stdout keeps its own format"


def test_size_rotation_keeps_gzipped_archives(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LOG_TO_FILE", "true")
    monkeypatch.setenv("LOG_DIR", str(tmp_path))
    monkeypatch.setenv("OTELKIT_LOG_FILE_MAX_BYTES", "4096")
    monkeypatch.setenv("OTELKIT_LOG_FILE_BACKUPS", "3")
    otelkit.configure(service_name="worker-1", log_stdout=False, console=False)
    for n in range(200):
        log.info("tick", n=n, padding="x" * 40)
    otelkit.shutdown()
    directory = tmp_path / "worker-1"
    names = sorted(p.name for p in directory.iterdir() if not p.name.endswith(".lock"))
    assert names == [
        "worker-1.jsonl",
        "worker-1.jsonl.1.gz",
        "worker-1.jsonl.2.gz",
        "worker-1.jsonl.3.gz",
    ]
    assert all(p.stat().st_size <= 4096 for p in directory.glob("*.jsonl"))
    numbers = [line["n"] for line in read_back(directory)]
    assert numbers == list(range(200 - len(numbers), 200)), "newest lines, in order, no gaps"


def test_time_rotation_on_the_interval(tmp_path: Path) -> None:
    target = SharedRotatingFile(
        tmp_path / "s" / "s.jsonl", max_bytes=0, backups=5, rotate_seconds=1.0
    )
    target.write_line('{"n":1}')
    time.sleep(max(0.0, target._next_rotation - time.time()) + 0.05)
    target.write_line('{"n":2}')
    target.close()
    assert read_back(tmp_path / "s") == [{"n": 1}, {"n": 2}]
    assert (tmp_path / "s" / "s.jsonl.1.gz").exists()


_WRITER = textwrap.dedent("""
    import os, sys
    import otelkit
    otelkit.configure(service_name="api", log_stdout=False, console=False)
    log = otelkit.get_logger("api")
    for n in range(int(sys.argv[1])):
        log.info("line", writer=os.getpid(), n=n, padding="p" * 60)
    otelkit.shutdown()
""")


@pytest.mark.slow
def test_several_processes_share_one_rotating_file(tmp_path: Path) -> None:
    env = {
        **os.environ,
        "LOG_TO_FILE": "1",
        "LOG_DIR": str(tmp_path),
        "OTELKIT_LOG_FILE_MAX_BYTES": "20000",
        "OTELKIT_LOG_FILE_BACKUPS": "500",
    }
    env.pop("OTELKIT_STRICT", None)  # production mode, as deployed
    per_process = 1500
    writers = [
        subprocess.Popen([sys.executable, "-c", _WRITER, str(per_process)], env=env)
        for _ in range(3)
    ]
    assert [writer.wait(timeout=120) for writer in writers] == [0, 0, 0]
    directory = tmp_path / "api"
    lines = read_back(directory)  # every line parses: none interleaved or torn
    by_writer: dict[int, list[int]] = {}
    for line in lines:
        by_writer.setdefault(line["writer"], []).append(line["n"])
    assert sorted(by_writer) == sorted(writer.pid for writer in writers)
    for numbers in by_writer.values():
        assert numbers == list(range(per_process)), "each process's lines, once, in order"
    archives = list(directory.glob("*.gz"))
    assert len(archives) >= 10, "rotated many times while all three wrote"
    assert not list(directory.glob("*.tmp")), "no half-compressed leftovers"
