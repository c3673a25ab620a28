"""The query CLI shows what a log line, a service or an annotation says, and obeys none of
it: every control, separator and bidi character is printed as a visible escape."""

from __future__ import annotations

import contextlib
import io
import json
import os
import secrets
import subprocess
import sys
import time
import unicodedata
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any
from unittest import mock

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from otelkit._cli import logs as _logs_cli
from otelkit._values.terminal import printable
from tests.support.servers import http_server, moto_client

# What a hostile value carries -> how the CLI must show it.
SEQUENCES = {
    "osc0-window-title": ("\x1b]0;pwned\x07", "\\x1b]0;pwned\\x07"),
    "clear-screen": ("\x1b[2J\x1b[H", "\\x1b[2J\\x1b[H"),
    "osc52-clipboard": ("\x1b]52;c;Y3VybCBldmlsfHNo\x07", "\\x1b]52;c;Y3VybCBldmlsfHNo\\x07"),
    "carriage-return": ("ok\rFORGED", "ok\\rFORGED"),
    "newline": ("ok\nFORGED", "ok\\nFORGED"),
    "c1-csi": ("\x9b2J", "\\x9b2J"),
    "c1-next-line": ("a\x85b", "a\\x85b"),
    "delete": ("a\x7fb", "a\\x7fb"),
    "bell-and-backspace": ("\x07\x08\x08", "\\x07\\x08\\x08"),
    "bidi-override": ("user\u202etxt.exe", "user\\u202etxt.exe"),
    "bidi-isolate": ("\u2066evil\u2069", "\\u2066evil\\u2069"),
    "line-separator": ("a\u2028b", "a\\u2028b"),
}
# Where in a line a hostile value can sit.
PLACES = ("message", "service", "field value", "field key")
# Output without otelkit's own colours, whatever the environment running the tests says.
PLAIN = {"NO_COLOR": "1"}
_BIDI = set("\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")


def unsafe(char: str) -> bool:
    """A character a terminal may act on (defined here apart from the code under test)."""
    return unicodedata.category(char) in {"Cc", "Cs", "Zl", "Zp"} or char in _BIDI


def _line(place: str, value: str, **extra: Any) -> dict[str, Any]:
    line: dict[str, Any] = {
        "timestamp": datetime.now(UTC).isoformat(),
        "level": "ERROR",
        "service": "svc",
        "message": "m",
        **extra,
    }
    if place == "field key":
        line[value] = "v"
    elif place == "field value":
        line["detail"] = value
    else:
        line[place] = value
    return line


@pytest.fixture(scope="module")
def printed(tmp_path_factory: pytest.TempPathFactory) -> dict[tuple[str, str], str]:
    """Every sequence in every place, read back by ``otelkit logs tail``, one run."""
    cases = [(name, place) for name in SEQUENCES for place in PLACES]
    path = tmp_path_factory.mktemp("hostile") / "svc.jsonl"
    path.write_text(
        "".join(
            json.dumps(_line(place, SEQUENCES[name][0], case=f"{name}/{place}")) + "\n"
            for name, place in cases
        )
    )
    result = subprocess.run(
        [sys.executable, "-m", "otelkit", "logs", "tail", "--file", str(path), "--limit", "500"],
        env={**os.environ, **PLAIN},
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    lines = result.stdout.split("\n")
    assert lines.pop() == ""
    assert len(lines) == len(cases), "a value started a line of its own"
    return {case: next(x for x in lines if f"case={case[0]}/{case[1]}" in x) for case in cases}


@pytest.mark.parametrize("name", SEQUENCES)
@pytest.mark.parametrize("place", PLACES)
def test_logs_escape_each_sequence(
    printed: dict[tuple[str, str], str], name: str, place: str
) -> None:
    raw, shown = SEQUENCES[name]
    line = printed[name, place]
    assert raw not in line
    assert shown in line
    assert not [c for c in line if unsafe(c)]


def test_the_json_output_carries_no_raw_control_character_either(tmp_path: Path) -> None:
    path = tmp_path / "svc.jsonl"
    path.write_text(
        "".join(json.dumps(_line("message", raw)) + "\n" for raw, _ in SEQUENCES.values())
    )
    out = _run_main(["tail", "--file", str(path), "--json"])
    lines = out.splitlines()
    assert [json.loads(x)["message"] for x in lines] == [raw for raw, _ in SEQUENCES.values()]
    assert not [c for c in out.replace("\n", "") if unsafe(c)]


def _run_main(argv: list[str]) -> str:
    out = io.StringIO()
    with (
        mock.patch.dict(os.environ, PLAIN),
        contextlib.redirect_stdout(out),
        contextlib.redirect_stderr(io.StringIO()),
    ):
        _logs_cli.main(argv)
    return out.getvalue()


_VALUES = st.recursive(
    st.text() | st.integers() | st.floats() | st.booleans() | st.none(),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(), inner, max_size=3),
    max_leaves=8,
)


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    lines=st.lists(
        st.fixed_dictionaries(
            {"level": st.text(max_size=12), "service": st.text(), "message": st.text()},
            optional={"timestamp": st.text(max_size=40)},
        ).flatmap(
            lambda head: st.dictionaries(st.text(), _VALUES, max_size=4).map(
                lambda rest: {**rest, **head}
            )
        ),
        min_size=1,
        max_size=5,
    )
)
def test_no_output_line_holds_a_control_character_for_any_line(
    tmp_path: Path, lines: list[dict[str, Any]]
) -> None:
    now = datetime.now(UTC).isoformat()
    path = tmp_path / "any.jsonl"
    path.write_text(
        "".join(json.dumps({"timestamp": now, **line}) + "\n" for line in lines),
        encoding="utf-8",
    )
    out = _run_main(["tail", "--file", str(path)])
    printed_lines = out.split("\n")
    assert printed_lines.pop() == ""
    assert len(printed_lines) <= len(lines)
    for printed_line in printed_lines:
        assert not [c for c in printed_line if unsafe(c)], printed_line


@pytest.mark.slow
def test_traces_find_escapes_annotations_and_segment_names(
    aws_endpoint: str, aws_env: dict[str, str]
) -> None:
    client = moto_client("xray", aws_endpoint)
    job = f"job-{secrets.token_hex(4)}"
    trace_id = f"1-{int(time.time()):08x}-{secrets.token_hex(12)}"
    now = time.time()
    hostile = {f"note_{i}": raw for i, (raw, _) in enumerate(SEQUENCES.values())}
    client.put_trace_segments(
        TraceSegmentDocuments=[
            json.dumps(
                {
                    "name": "api\x1b]0;pwned\x07",
                    "id": secrets.token_hex(8),
                    "trace_id": trace_id,
                    "start_time": now
                    - 5,  # well inside the window: the emulator compares whole seconds
                    "end_time": now - 3,
                    "annotations": {"job_id": job, "k\x1b[2J": "v", **hostile},
                }
            )
        ]
    )

    found = subprocess.run(
        [sys.executable, "-m", "otelkit", "traces", "find", "--annotation", f"job_id={job}"],
        env={**aws_env, **PLAIN},
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )

    assert found.returncode == 0, found.stderr
    [line] = found.stdout.splitlines()
    assert not [c for c in line if unsafe(c)]
    assert "api\\x1b]0;pwned\\x07" in line
    assert "k\\x1b[2J=v" in line
    for i, (_, shown) in enumerate(SEQUENCES.values()):
        assert f"note_{i}={shown}" in line


class _HostileHealth(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        body = {"status": "ok", **{f"n{i}": raw for i, (raw, _) in enumerate(SEQUENCES.values())}}
        data = json.dumps(body).encode()
        self.send_response(200)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *_: object) -> None:
        pass


def test_health_escapes_what_the_service_answers() -> None:
    with http_server(_HostileHealth) as url:
        result = subprocess.run(
            [sys.executable, "-m", "otelkit", "health", url],
            env={**os.environ, **PLAIN},
            capture_output=True,
            text=True,
            check=False,
            timeout=60,
        )
    assert result.returncode == 0, result.stderr
    [line] = result.stdout.splitlines()
    assert not [c for c in line if unsafe(c)]
    for i, (_, shown) in enumerate(SEQUENCES.values()):
        assert f"n{i}={shown}" in line


@pytest.mark.parametrize(
    "unit",
    ["\x1b", "a\u202e", "\x1b]0;", "ok", "\ud800x"],
    ids=["esc", "bidi", "osc", "plain", "surrogate"],
)
def test_escaping_is_linear_with_a_ceiling(unit: str) -> None:
    def cost(size: int) -> float:
        text = unit * (size // len(unit))
        started = time.perf_counter()
        printable(text)
        return time.perf_counter() - started

    small, large = min(cost(64 * 1024) for _ in range(3)), min(cost(1 << 20) for _ in range(3))
    assert large < 1.0, f"{large:.3f} s for 1 MB"  # documented ceiling: well under a second
    assert large < 16 * max(small, 1e-4) * 4, f"64 KB {small:.4f} s, 1 MB {large:.4f} s"
