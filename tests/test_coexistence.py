"""One line per record: ``basicConfig`` apps and real uvicorn and gunicorn processes with
their default logging config print every record once, as an otelkit line."""

from __future__ import annotations

import io
import json
import logging
import logging.config
import subprocess
import sys
import textwrap
from collections import Counter
from pathlib import Path

import pytest

import otelkit
from otelkit._logs import coexist as _coexist
from tests.support.processes import BIN, json_lines, server_process
from tests.support.servers import request


def run_script(tmp_path: Path, source: str) -> subprocess.CompletedProcess[str]:
    script = tmp_path / "app.py"
    script.write_text(textwrap.dedent(source))
    return subprocess.run(
        [sys.executable, str(script)],
        capture_output=True,
        text=True,
        timeout=60,
        env={"PATH": "/usr/bin:/bin", "LOG_FORMAT": "json", "OTELKIT_CONSOLE": "false"},
        check=True,
    )


@pytest.mark.slow
@pytest.mark.parametrize("order", ["basicConfig first", "configure first"])
def test_basic_config_app_prints_every_record_once(tmp_path: Path, order: str) -> None:
    first, second = (
        "logging.basicConfig(level=logging.INFO)",
        "otelkit.configure(service_name='plain-app')",
    )
    if order == "configure first":
        first, second = second, first
    done = run_script(
        tmp_path,
        f"""
        import logging
        import otelkit
        {first}
        {second}
        with otelkit.bind(job_id="job-1"):
            logging.getLogger("plain").warning("disk %s almost full", "sda")
            otelkit.get_logger("app").info("hello")
        try:
            1 / 0
        except ZeroDivisionError:
            logging.getLogger("plain").exception("failed")
    """,
    )
    assert done.stderr == ""
    lines = json_lines(done.stdout.splitlines())
    assert Counter(line["message"] for line in lines) == {
        "disk sda almost full": 1,
        "hello": 1,
        "failed": 1,
    }
    assert all(line["service"] == "plain-app" for line in lines)
    assert lines[0]["job_id"] == "job-1"
    assert "ZeroDivisionError" in lines[2]["exception"]


def test_handlers_not_writing_to_the_console_are_kept(tmp_path: Path) -> None:
    root = logging.getLogger()
    to_file = logging.FileHandler(tmp_path / "app.log")
    to_memory = logging.StreamHandler(io.StringIO())
    to_stderr = logging.StreamHandler(sys.stderr)
    for handler in (to_file, to_memory, to_stderr):
        root.addHandler(handler)
    try:
        otelkit.configure(log_format="json", console=False)
        assert to_file in root.handlers
        assert to_memory in root.handlers
        assert to_stderr not in root.handlers
        logging.getLogger("kept").warning("to the file too")
        to_file.flush()
        assert "to the file too" in (tmp_path / "app.log").read_text()
    finally:
        for handler in (to_file, to_memory):
            root.removeHandler(handler)
        to_file.close()


def test_without_stdout_lines_no_handler_is_touched() -> None:
    root = logging.getLogger()
    to_stderr = logging.StreamHandler(sys.stderr)
    root.addHandler(to_stderr)
    try:
        otelkit.configure(log_stdout=False, console=False)
        assert to_stderr in root.handlers
    finally:
        root.removeHandler(to_stderr)


def test_server_loggers_configured_after_configure_are_adopted_on_readopt() -> None:
    otelkit.configure(log_format="json", console=False)
    access = logging.getLogger("uvicorn.access")
    own = logging.StreamHandler(sys.stdout)
    access.addHandler(own)
    access.propagate = False
    try:
        _coexist.readopt()
        assert own not in access.handlers
        assert access.propagate
    finally:
        access.removeHandler(own)


FASTAPI_APP = """
    import logging
    import otelkit
    from fastapi import FastAPI
    from otelkit.middleware.asgi import OtelkitASGIMiddleware

    otelkit.configure(service_name="uvicorn-app")
    app = FastAPI()
    app.add_middleware(OtelkitASGIMiddleware)

    @app.get("/items/{item}")
    async def item(item: str) -> dict[str, str]:
        logging.getLogger("app").info("item read")
        return {"item": item}

    @app.get("/boom")
    async def boom() -> None:
        raise RuntimeError("kaboom")
"""


@pytest.mark.slow
@pytest.mark.parametrize("how", ["cli", "run"])
def test_uvicorn_with_default_logging_prints_only_otelkit_lines(tmp_path: Path, how: str) -> None:
    source = textwrap.dedent(FASTAPI_APP)
    if how == "run":  # uvicorn.run() applies its logging config after configure()
        source += textwrap.dedent("""
            if __name__ == "__main__":
                import uvicorn
                uvicorn.run(app, host="127.0.0.1", port=0)
        """)
    (tmp_path / "app.py").write_text(source)
    args = (
        [str(BIN / "uvicorn"), "app:app", "--host", "127.0.0.1", "--port", "0"]
        if how == "cli"
        else [sys.executable, "app.py"]
    )
    with server_process(args, tmp_path) as output:
        port = output.wait_for(r"Uvicorn running on http://127\.0\.0\.1:(\d+)").group(1)
        base = f"http://127.0.0.1:{port}"
        ok = request("GET", f"{base}/items/7", headers={"X-Correlation-ID": "corr-uv-1"})
        assert ok.status_code == 200
        assert request("GET", f"{base}/boom").status_code == 500
        output.wait_for(r"Exception in ASGI application")
        output.wait_for(r'GET /boom HTTP/1\.1\\" 500')
    assert output.stderr == []
    lines = json_lines(output.stdout)
    assert all(line["service"] == "uvicorn-app" for line in lines)
    messages = [line["message"] for line in lines]
    assert any(m.startswith("Uvicorn running on") for m in messages)
    access = [line for line in lines if line["logger"] == "uvicorn.access"]
    assert len(access) == 2
    assert access[0]["correlation_id"] == "corr-uv-1"
    assert len(access[0]["trace_id"]) == 32
    failure = next(
        line for line in lines if line["message"].startswith("Exception in ASGI application")
    )
    assert "RuntimeError: kaboom" in failure["exception"]
    assert Counter(messages)["item read"] == 1


FLASK_APP = """
    import logging
    import otelkit
    from flask import Flask
    from otelkit.middleware.wsgi import OtelkitWSGIMiddleware

    otelkit.configure(service_name="gunicorn-app")
    app = Flask(__name__)
    app.wsgi_app = OtelkitWSGIMiddleware(app.wsgi_app)

    @app.get("/items/<item>")
    def item(item):
        logging.getLogger("app").info("item read")
        return {"item": item}

    def crash(environ, start_response):
        raise RuntimeError("kaboom")

    crashing = OtelkitWSGIMiddleware(crash)
"""


@pytest.mark.slow
def test_gunicorn_with_default_logging_prints_worker_records_as_otelkit_lines(
    tmp_path: Path,
) -> None:
    (tmp_path / "app.py").write_text(textwrap.dedent(FLASK_APP))
    args = [
        str(BIN / "gunicorn"),
        "--bind",
        "127.0.0.1:0",
        "--workers",
        "1",
        "--access-logfile",
        "-",
        "app:app",
    ]
    with server_process(args, tmp_path) as output:
        port = output.wait_for(r"Listening at: http://127\.0\.0\.1:(\d+)").group(1)
        output.wait_for(r"Booting worker")
        ok = request(
            "GET", f"http://127.0.0.1:{port}/items/7", headers={"X-Correlation-ID": "corr-gu-1"}
        )
        assert ok.status_code == 200
        output.wait_for(r'GET /items/7 HTTP/1.1\\?" 200')
    master = output.wait_for(r"\[(\d+)\] \[INFO\] Starting gunicorn").group(1)
    worker = output.wait_for(r"Booting worker with pid: (\d+)").group(1)
    # The master writes before any application code runs (no --preload): its own lines,
    # and the worker's one line before it imports the app, are gunicorn's format.
    plain = [
        line for line in output.stderr if f"[{master}]" not in line and "Booting worker" not in line
    ]
    assert plain == []
    lines = json_lines([line for line in output.stdout if line.startswith("{")])
    assert [line for line in output.stdout if not line.startswith("{")] == []
    by_logger = Counter(line["logger"] for line in lines)
    assert by_logger["gunicorn.access"] == 1
    assert by_logger["app"] == 1
    item = next(line for line in lines if line["message"] == "item read")
    assert item["correlation_id"] == "corr-gu-1"
    assert all(line["service"] == "gunicorn-app" for line in lines)
    assert worker


@pytest.mark.slow
def test_gunicorn_error_log_tracebacks_become_otelkit_lines(tmp_path: Path) -> None:
    (tmp_path / "app.py").write_text(textwrap.dedent(FLASK_APP))
    args = [
        str(BIN / "gunicorn"),
        "--bind",
        "127.0.0.1:0",
        "--workers",
        "1",
        "--preload",
        "app:crashing",
    ]
    with server_process(args, tmp_path) as output:
        port = output.wait_for(r"Listening at: http://127\.0\.0\.1:(\d+)").group(1)
        assert request("GET", f"http://127.0.0.1:{port}/x").status_code == 500
        output.wait_for(r"Error handling request")
    # With --preload the app (and configure()) runs in the master before it logs: every
    # line of every process is otelkit's.
    assert output.stderr == []
    lines = json_lines(output.stdout)
    failure = next(line for line in lines if "Error handling request" in line["message"])
    assert failure["logger"] == "gunicorn.error"
    assert "RuntimeError: kaboom" in failure["exception"]
    assert any(line["message"].startswith("Starting gunicorn") for line in lines)
    assert json.dumps(lines)  # every line is plain JSON, nothing else


def test_a_later_dict_config_is_adopted(capsys: pytest.CaptureFixture[str]) -> None:
    otelkit.configure(log_format="json", console=False)
    logging.config.dictConfig(
        {
            "version": 1,
            "disable_existing_loggers": False,
            "handlers": {
                "console": {"class": "logging.StreamHandler", "stream": "ext://sys.stdout"}
            },
            "root": {"handlers": ["console"], "level": "INFO"},
        }
    )
    logging.getLogger("later").warning("once only")
    lines = [line for line in capsys.readouterr().out.splitlines() if "once only" in line]
    assert len(lines) == 1
    assert json.loads(lines[0])["logger"] == "later"


def test_a_server_logger_silenced_on_purpose_stays_silent() -> None:
    otelkit.configure(log_format="json", console=False)
    access = logging.getLogger("uvicorn.access")
    access.handlers, access.propagate = [], False  # what uvicorn's access_log=False does
    _coexist.readopt()
    assert access.propagate is False


def test_a_dict_config_imported_after_configure_is_adopted() -> None:
    # configure() does not import logging.config (6 ms of cold start): the wrap waits for
    # the application's own import of it.
    code = (
        "import json, logging, sys, otelkit\n"
        "otelkit.configure(log_format='json', console=False)\n"
        "assert 'logging.config' not in sys.modules\n"
        "import logging.config\n"
        "logging.config.dictConfig({'version': 1, 'disable_existing_loggers': False,\n"
        "    'handlers': {'c': {'class': 'logging.StreamHandler', 'stream': 'ext://sys.stdout'}},\n"
        "    'root': {'handlers': ['c'], 'level': 'INFO'}})\n"
        "logging.getLogger('later').warning('once only')\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    lines = [line for line in out.splitlines() if "once only" in line]
    assert len(lines) == 1, out
    assert json.loads(lines[0])["logger"] == "later"
