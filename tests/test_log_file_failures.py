"""Log files that cannot be written never cost the program or its other outputs: a full
disk, a planted symlink, a LOG_DIR under a regular file. Real files, real child
processes, a real OTLP receiver."""

from __future__ import annotations

import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

import otelkit
from otelkit._core import drops as _drops
from otelkit._logs.steps import with_sink
from tests.support.otlp_receiver import otlp_receiver
from tests.support.processes import production_env

LINES = 6_000

FULL_DISK = """
import resource, signal, sys, otelkit
if sys.argv[2] == "rlimit":  # files past 1 MiB fail with EFBIG, as a full disk fails
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    resource.setrlimit(resource.RLIMIT_FSIZE, (1 << 20, 1 << 20))
otelkit.configure(service_name="disk", endpoint=sys.argv[1], console=False,
                  log_format="json", resource_detectors="none")
log = otelkit.get_logger("app")
for n in range(LINES):
    log.info("line %05d", n, padding="p" * 200)
""".replace("LINES", str(LINES))


@pytest.fixture
def tiny_disk(tmp_path: Path) -> Iterator[Path]:
    """A 1 MiB tmpfs (needs root: skipped where mounting is not allowed)."""
    mount = tmp_path / "tiny"
    mount.mkdir()
    made = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", str(mount)],
        capture_output=True,
        check=False,
    )
    if made.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {made.stderr.decode().strip()}")
    try:
        yield mount
    finally:
        subprocess.run(["umount", str(mount)], check=False)


def _fill(directory: Path, limit: str) -> None:
    with otlp_receiver() as (endpoint, received):
        result = subprocess.run(
            [sys.executable, "-c", FULL_DISK, endpoint, limit],
            capture_output=True,
            text=True,
            timeout=120,
            # A slow machine may need more than the default half second at exit to send
            # the burst's tail; what this test holds is that the disk costs OTLP nothing.
            env=production_env(LOG_TO_FILE="1", LOG_DIR=str(directory), OTELKIT_EXIT_TIMEOUT="30"),
        )
        bodies = [r["body"]["stringValue"] for r in received.logs()]
    assert result.returncode == 0, result.stderr
    expected = [f"line {n:05d}" for n in range(LINES)]
    assert bodies == expected, "OTLP delivery is not touched by the disk"
    printed = [line for line in result.stdout.splitlines() if '"line ' in line]
    assert len(printed) == LINES, "each line once on stdout"
    assert "Traceback" not in result.stderr, result.stderr
    assert result.stderr.count("log file write") == 1, result.stderr
    on_disk = (directory / "disk" / "disk.jsonl").read_text(errors="replace").count("\n")
    assert 0 < on_disk < LINES
    # The drop summary lines: the first at once, the rest at exit.
    dropped = re.findall(r"(\d+) logs \(log file unwritable\)", result.stderr)
    assert on_disk + sum(map(int, dropped)) == LINES, "every line the file missed is counted"


@pytest.mark.slow
def test_a_full_disk_stops_file_writes_counted_and_nothing_else(tiny_disk: Path) -> None:
    _fill(tiny_disk, "none")


@pytest.mark.slow
def test_a_file_size_limit_stops_file_writes_counted_and_nothing_else(tmp_path: Path) -> None:
    _fill(tmp_path, "rlimit")


def test_a_planted_symlink_is_never_followed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("OTELKIT_STRICT")
    victim = tmp_path / "victim.txt"
    victim.write_text("precious\n")
    (tmp_path / "logs" / "bot").mkdir(parents=True)
    (tmp_path / "logs" / "bot" / "bot.jsonl").symlink_to(victim)
    monkeypatch.setenv("LOG_TO_FILE", "1")
    monkeypatch.setenv("LOG_DIR", str(tmp_path / "logs"))
    otelkit.configure(service_name="bot", log_format="json", console=False)
    otelkit.get_logger("bot").info("still logged")
    otelkit.shutdown()
    assert victim.read_text() == "precious\n"
    captured = capsys.readouterr()
    assert "still logged" in captured.out
    assert captured.err.count("file logging is off") == 1


def test_a_log_dir_under_a_regular_file_leaves_the_app_running(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("OTELKIT_STRICT")
    (tmp_path / "file").write_text("")
    monkeypatch.setenv("LOG_TO_FILE", "1")
    monkeypatch.setenv("LOG_DIR", str(tmp_path / "file" / "logs"))
    otelkit.configure(service_name="bot", log_format="json", console=False)  # never raises
    otelkit.get_logger("bot").info("still logged")
    otelkit.configure(service_name="bot", log_format="json", console=False)
    captured = capsys.readouterr()
    assert "still logged" in captured.out
    assert captured.err.count("file logging is off") == 1, "reported once"


def test_a_failing_sink_is_counted_and_costs_no_other_output(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from otelkit._core import pipeline as _pipeline

    monkeypatch.delenv("OTELKIT_STRICT")
    otelkit.configure(log_format="json", console=False)

    def broken(event: object) -> None:
        raise OSError(28, "No space left on device")

    _pipeline.activate(with_sink(_pipeline.current(), broken))  # one more sink
    before = _drops.snapshot().get(("logs", "sink failed"), 0)
    log = otelkit.get_logger("app")
    for n in range(3):
        log.info("kept %d", n)
    out = capsys.readouterr().out
    assert len([line for line in out.splitlines() if "kept" in line]) == 3
    assert _drops.snapshot()[("logs", "sink failed")] - before == 3


def test_a_record_the_handler_cannot_write_is_counted(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    import logging

    from otelkit._core import safety as _safety

    monkeypatch.delenv("OTELKIT_STRICT")
    monkeypatch.setattr(_safety, "_reported", set())  # its once-only report stays for others
    otelkit.configure(log_format="json", console=False)
    root = logging.getLogger()  # pytest's own capture handler would raise on the bad format
    monkeypatch.setattr(
        root, "handlers", [h for h in root.handlers if type(h).__name__ == "OtelkitHandler"]
    )
    before = _drops.snapshot().get(("logs", "handler failed"), 0)
    otelkit.get_logger("app").warning("%d items", "not a number")
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 1, "the fallback line, once"
    assert _drops.snapshot()[("logs", "handler failed")] == before + 1


def test_a_stdout_on_a_full_disk_is_counted_and_otlp_goes_on(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import io

    from otelkit._core import safety as _safety

    monkeypatch.delenv("OTELKIT_STRICT")
    monkeypatch.setattr(_safety, "_reported", set())
    full = io.TextIOWrapper(open("/dev/full", "wb", buffering=0), write_through=True)  # noqa: SIM115
    before = _drops.snapshot().get(("logs", "stdout write failed"), 0)
    with otlp_receiver() as (endpoint, received):
        otelkit.configure(endpoint=endpoint, log_format="json", console=False)
        log = otelkit.get_logger("app")
        with monkeypatch.context() as patch:
            patch.setattr(sys, "stdout", full)  # every write fails: ENOSPC
            for n in range(5):
                log.info("kept %d", n)
        full.close()
        otelkit.flush(5.0)
        bodies = [r["body"]["stringValue"] for r in received.logs()]
    assert bodies == [f"kept {n}" for n in range(5)]
    assert _drops.snapshot()[("logs", "stdout write failed")] - before == 5
