"""Real server processes for the coexistence tests: started, read line by line, stopped."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

BIN = Path(sys.executable).parent


class Output:
    """The lines a process wrote on stdout and stderr, collected as they arrive."""

    def __init__(self, process: subprocess.Popen[str]) -> None:
        self.stdout: list[str] = []
        self.stderr: list[str] = []
        self._threads = [
            threading.Thread(target=self._read, args=(process.stdout, self.stdout), daemon=True),
            threading.Thread(target=self._read, args=(process.stderr, self.stderr), daemon=True),
        ]
        for thread in self._threads:
            thread.start()

    @staticmethod
    def _read(stream: Any, into: list[str]) -> None:
        for line in stream:
            into.append(line.rstrip("\n"))

    def join(self) -> None:
        for thread in self._threads:
            thread.join(timeout=10)

    def wait_for(self, pattern: str, timeout: float = 20.0) -> re.Match[str]:
        """The first match of ``pattern`` in any line written so far (waiting for it)."""
        regex = re.compile(pattern)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for line in [*self.stdout, *self.stderr]:
                found = regex.search(line)
                if found:
                    return found
            time.sleep(0.05)
        raise AssertionError(
            f"no line matched {pattern!r}:\n"
            + "\n".join([*self.stdout, "--- stderr ---", *self.stderr])
        )


def production_env(**extra: str) -> dict[str, str]:
    """This process's environment for a child that runs as deployed: the suite's strict
    mode (``OTELKIT_STRICT``, set in conftest) removed, ``extra`` added."""
    env = {**os.environ, **extra}
    env.pop("OTELKIT_STRICT", None)
    return env


@contextmanager
def server_process(
    args: list[str], cwd: Path, env: dict[str, str] | None = None
) -> Iterator[Output]:
    """Run ``args`` (a server) in ``cwd``; stop it with SIGTERM when the block ends."""
    full_env = production_env(
        PYTHONUNBUFFERED="1", LOG_FORMAT="json", OTELKIT_CONSOLE="false", **(env or {})
    )
    full_env.pop("OTEL_EXPORTER_OTLP_ENDPOINT", None)
    process = subprocess.Popen(
        args, cwd=cwd, env=full_env, text=True, stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    output = Output(process)
    try:
        yield output
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        output.join()


def json_lines(lines: list[str]) -> list[dict[str, Any]]:
    """Every line parsed as JSON; fails naming the first line that is not otelkit's."""
    parsed = []
    for line in lines:
        try:
            record = json.loads(line)
        except ValueError:
            raise AssertionError(f"not an otelkit JSON line: {line!r}") from None
        assert isinstance(record, dict), line
        assert {"timestamp", "level", "message", "logger", "service"} <= set(record), line
        parsed.append(record)
    return parsed
