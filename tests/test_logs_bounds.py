"""``otelkit logs`` reads any file in bounded memory: it streams, keeps only the newest
``--limit`` matches, and skips (and counts) lines too long or too deeply nested."""

from __future__ import annotations

import gzip
import json
import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest

NOW = datetime.now(UTC)
_MB = 1 << 20


def _line(message: str, level: str = "ERROR", at: datetime = NOW, **extra: object) -> str:
    record = {"timestamp": at.isoformat(), "level": level, "service": "svc", "message": message}
    return json.dumps({**record, **extra}) + "\n"


def _peak(args: list[str], tmp_path: Path) -> tuple[int, str, str, int]:
    """Run ``otelkit logs ARGS``; its exit code, stdout, stderr and peak RSS in MB."""
    out, err = tmp_path / "out.txt", tmp_path / "err.txt"
    with out.open("w") as stdout, err.open("w") as stderr:
        child = subprocess.Popen(
            [sys.executable, "-m", "otelkit", "logs", *args], stdout=stdout, stderr=stderr
        )
        _, status, usage = os.wait4(child.pid, 0)  # this child's own rusage
        child.returncode = os.waitstatus_to_exitcode(status)
    return child.returncode, out.read_text(), err.read_text(), usage.ru_maxrss // 1024


def _logs(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "otelkit", "logs", *args],
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )


@pytest.fixture(scope="module")
def baseline(tmp_path_factory: pytest.TempPathFactory) -> int:
    """Peak RSS in MB of reading a one-line file: the interpreter and the CLI's imports."""
    tmp = tmp_path_factory.mktemp("baseline")
    path = tmp / "one.jsonl"
    path.write_text(_line("hello"))
    code, _, err, peak = _peak(["errors", "--file", str(path)], tmp)
    assert code == 0, err
    return peak


@pytest.mark.slow
def test_errors_limit_keeps_only_the_newest_lines_in_memory(tmp_path: Path, baseline: int) -> None:
    # 200 MB of matching lines in a gzip of well under 1 MB: every one is an ERROR.
    path = tmp_path / "svc.jsonl.gz"
    body = "x" * 2000
    with gzip.open(path, "wt", compresslevel=1) as stream:
        for n in range(100_000):
            at = NOW - timedelta(seconds=50) + timedelta(microseconds=n * 100)
            stream.write(_line(body, at=at, n=n))
    assert path.stat().st_size < 2 * _MB  # before: 305 MB at the peak; after: ~20 MB

    code, out, err, peak = _peak(
        ["errors", "--file", str(path), "--limit", "5", "--json"], tmp_path
    )

    assert code == 0, err
    assert [json.loads(x)["n"] for x in out.splitlines()] == list(range(99_995, 100_000)), err
    assert peak - baseline < 80, f"{peak} MB at the peak, {baseline} MB to start"


@pytest.mark.slow
def test_a_huge_line_is_skipped_with_a_note_in_bounded_memory(
    tmp_path: Path, baseline: int
) -> None:
    path = tmp_path / "svc.jsonl.gz"
    with gzip.open(path, "wt", compresslevel=1) as stream:
        stream.write(_line("before"))
        stream.write('{"message": "')
        for _ in range(96):
            stream.write("y" * _MB)
        stream.write('"}\n')
        stream.write(_line("after"))

    code, out, err, peak = _peak(["tail", "--file", str(path), "--json"], tmp_path)

    assert code == 0, err
    assert [json.loads(x)["message"] for x in out.splitlines()] == ["before", "after"]
    assert err == "otelkit logs: skipped 1 line longer than 1 MiB\n"
    assert peak - baseline < 80, f"{peak} MB at the peak, {baseline} MB to start"


def test_deeply_nested_lines_are_one_note_not_a_traceback(tmp_path: Path) -> None:
    path = tmp_path / "svc.jsonl"
    deep_array = '{"message": "deep", "v": ' + "[" * 100_000 + "]" * 100_000 + "}\n"
    below_recursion = '{"message": "deep", "v": ' + '{"a": ' * 500 + "1" + "}" * 500 + "}\n"
    path.write_text(_line("before") + deep_array + below_recursion + _line("after"))

    for args in (["tail"], ["tail", "--json"], ["find", "--id", "x"]):
        result = _logs(*args, "--file", str(path))
        assert "Traceback" not in result.stderr
        assert "otelkit logs: skipped 2 lines nested deeper than 64 levels\n" in result.stderr
        if args[0] == "tail":
            assert result.returncode == 0
            printed = result.stdout.splitlines()
            assert len(printed) == 2
            assert "before" in printed[0]
            assert "after" in printed[1]


def test_lines_without_a_timestamp_are_in_no_window(tmp_path: Path) -> None:
    path = tmp_path / "svc.jsonl"
    stamped = _line("stamped")
    unstamped = json.dumps({"level": "ERROR", "service": "svc", "message": "no time"}) + "\n"
    garbled = _line("garbled").replace(NOW.isoformat(), "yesterday-ish")
    path.write_text(stamped + unstamped + garbled)

    result = _logs("errors", "--file", str(path), "--json")

    assert result.returncode == 0, result.stderr
    assert [json.loads(x)["message"] for x in result.stdout.splitlines()] == ["stamped"]


def test_the_newest_lines_win_by_time_not_by_spelling(tmp_path: Path) -> None:
    # 10:30+02:00 is 08:30 UTC: older than 09:00 UTC although it sorts later as text.
    base = NOW.replace(microsecond=0) - timedelta(hours=3)
    plus_two = base.astimezone(timezone(timedelta(hours=2)))
    path = tmp_path / "svc.jsonl"
    path.write_text(
        _line("newest", at=base + timedelta(minutes=30))
        + _line("oldest", at=plus_two)
        + _line("middle", at=base + timedelta(minutes=10))
    )

    result = _logs("errors", "--file", str(path), "--since", "1d", "--limit", "2", "--json")

    assert [json.loads(x)["message"] for x in result.stdout.splitlines()] == ["middle", "newest"]


def test_limit_must_be_a_positive_number(tmp_path: Path) -> None:
    path = tmp_path / "svc.jsonl"
    path.write_text(_line("x"))
    result = _logs("tail", "--file", str(path), "--limit", "0")
    assert result.returncode == 2
    assert "'0': a whole number, 1 or more" in result.stderr
