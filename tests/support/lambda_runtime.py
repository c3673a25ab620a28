"""The real Lambda runtime for the tests: the AWS Lambda Runtime Interface Emulator
(``make test`` builds it) running a handler module under ``awslambdaric``, invoked over
HTTP, its stdout read line by line.

A missing emulator or bootstrap fails the test that needs it, naming the make target:
the suite never passes by skipping what only the real runtime shows.
"""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from importlib.util import find_spec
from pathlib import Path
from typing import Any

import pytest

from tests.support.processes import Output, production_env
from tests.support.runtime_api_relay import runtime_api_relay

ROOT = Path(__file__).resolve().parents[2]
#: The handler modules the emulator runs (its task directory).
HANDLERS = ROOT / "tests" / "lambda_handlers"
INVOKE_PATH = "/2015-03-31/functions/function/invocations"
_RTDONE = re.compile(r"INVOKE RTDONE\(status: success, .*duration: ([\d.]+)ms\)")


def emulator_path() -> Path:
    """The emulator binary: ``LAMBDA_RIE`` if set (relative to the working directory, as
    ``make bench`` passes it; the emulator starts in the handler's directory), else
    ``build/aws-lambda-rie``."""
    return Path(os.environ.get("LAMBDA_RIE") or ROOT / "build" / "aws-lambda-rie").absolute()


def require_runtime() -> Path:
    """The emulator's path; fails (not skips) when it or ``awslambdaric`` is missing."""
    path = emulator_path()
    if not os.access(path, os.X_OK):
        pytest.fail(f"the Lambda emulator {path} is missing: run `make build/aws-lambda-rie`")
    if find_spec("awslambdaric") is None:
        pytest.fail("awslambdaric is not installed: run `make install` (the dev extra)")
    return path


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Response:
    """One invocation as its caller saw it."""

    status: int
    body: Any
    seconds: float


class LambdaFunction:
    """A running emulator with one handler: invoke it, read what the runtime printed."""

    def __init__(self, url: str, output: Output) -> None:
        self.url = url
        self.output = output

    def invoke(
        self, event: Any = None, headers: dict[str, str] | None = None, timeout: float = 60.0
    ) -> Response:
        """POST ``event`` as the invocation's payload; the body parsed as JSON. Returns
        once the invocation's REPORT line is read, so every line it wrote is too."""
        reported = len(self._reports())
        data = json.dumps({} if event is None else event).encode()
        request = urllib.request.Request(
            self.url + INVOKE_PATH, data=data, headers=headers or {}, method="POST"
        )
        start = time.perf_counter()
        try:
            with urllib.request.urlopen(request, timeout=timeout) as reply:
                status, raw = reply.status, reply.read()
        except urllib.error.HTTPError as error:
            status, raw = error.code, error.read()
        seconds = time.perf_counter() - start
        self.reports(reported + 1)
        try:
            body = json.loads(raw) if raw else None
        except ValueError:
            body = raw.decode(errors="replace")
        return Response(status, body, seconds)

    @property
    def lines(self) -> list[str]:
        """The runtime's stdout so far (the emulator's own lines are on stderr)."""
        return list(self.output.stdout)

    def json_lines(self) -> list[dict[str, Any]]:
        """The stdout lines that are JSON objects (otelkit's, EMF documents...)."""
        found = []
        for line in self.lines:
            if line.startswith("{"):
                try:
                    record = json.loads(line)
                except ValueError:
                    continue
                if isinstance(record, dict):
                    found.append(record)
        return found

    def log_lines(self) -> list[dict[str, Any]]:
        """otelkit's JSON log lines (not EMF documents)."""
        return [r for r in self.json_lines() if "level" in r and "message" in r]

    def reports(self, count: int = 0, timeout: float = 5.0) -> list[dict[str, str]]:
        """The REPORT lines' fields (``Duration``, ``Billed Duration``...) as text, after
        waiting for ``count`` of them (the runtime writes one after each response)."""
        deadline = time.monotonic() + timeout
        while len(self._reports()) < count and time.monotonic() < deadline:
            time.sleep(0.01)
        return self._reports()

    def _reports(self) -> list[dict[str, str]]:
        found = []
        for line in self.lines:
            if line.startswith("REPORT RequestId:"):
                fields = {}
                for part in line.split("\t"):
                    name, _, value = part.partition(":")
                    if value:
                        fields[name.replace("REPORT ", "").strip()] = value.strip()
                found.append(fields)
        return found

    def runtime_done_ms(self, count: int = 0, timeout: float = 5.0) -> list[float]:
        """How long each invocation took until the runtime asked for the next one, just
        after posting its response (the emulator's ``INVOKE RTDONE`` lines): an upper
        bound of what a caller of a real function waits for. The emulator itself answers
        its caller only after the extensions are done too."""
        deadline = time.monotonic() + timeout
        while True:
            found = [float(m.group(1)) for m in map(_RTDONE.search, self.output.stderr) if m]
            if len(found) >= count or time.monotonic() > deadline:
                return found
            time.sleep(0.01)

    def dump(self) -> str:
        """Everything the emulator and runtime wrote: for assertion messages."""
        return "\n".join([*self.output.stdout, "--- stderr ---", *self.output.stderr])


@contextmanager
def lambda_function(
    handler: str,
    env: dict[str, str] | None = None,
    task_dir: Path = HANDLERS,
    trace_header: str | None = None,
    python: Sequence[str] = (sys.executable,),
    path: Sequence[Path] = (ROOT,),
    bootstrap: Sequence[str] = ("-m", "awslambdaric"),
) -> Iterator[LambdaFunction]:
    """Run ``handler`` (``module.function`` in ``task_dir``) under the emulator.

    ``python`` is the runtime's interpreter (with its options) and ``path`` what it finds
    otelkit on besides ``task_dir``: this checkout by default, a layer's ``python/``
    directory for the layer test. ``bootstrap``: what the interpreter runs with the
    handler's name (``awslambdaric``; the benchmark's runs it with a clock).

    The runtime's environment is this process's, as deployed (no strict mode, no OTLP
    endpoint unless ``env`` gives one), plus ``env``. ``trace_header``: every invocation
    gets it as Lambda's active tracing header (``_X_AMZN_TRACE_ID``), which the emulator
    cannot send itself (see ``runtime_api_relay``).
    """
    rie = require_runtime()
    port, api_port = free_port(), free_port()
    full_env = production_env(
        PYTHONPATH=os.pathsep.join([*map(str, path), str(task_dir)]),
        PYTHONUNBUFFERED="1",
        AWS_LAMBDA_FUNCTION_NAME="otelkit-test",
        AWS_REGION="us-east-1",
    )
    full_env.pop("OTEL_EXPORTER_OTLP_ENDPOINT", None)
    full_env.update(env or {})
    relay = ExitStack()
    if trace_header is not None:
        upstream = f"127.0.0.1:{api_port}"
        full_env["LAMBDA_TEST_RUNTIME_API"] = relay.enter_context(
            runtime_api_relay(upstream, trace_header)
        )
        bootstrap = (str(Path(__file__).with_name("relayed_bootstrap.py")),)
    process = subprocess.Popen(
        [
            str(rie),
            "--runtime-interface-emulator-address",
            f"127.0.0.1:{port}",
            "--runtime-api-address",
            f"127.0.0.1:{api_port}",
            *python,
            *bootstrap,
            handler,
        ],
        cwd=task_dir,
        env=full_env,
        text=True,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    output = Output(process)
    function = LambdaFunction(f"http://127.0.0.1:{port}", output)
    try:
        _wait_listening(port, process, function)
        yield function
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        output.join()
        relay.close()


def _wait_listening(port: int, process: subprocess.Popen[str], function: LambdaFunction) -> None:
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError("the emulator exited:\n" + function.dump())
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return
        except OSError:
            time.sleep(0.02)
    raise AssertionError("the emulator never listened:\n" + function.dump())
