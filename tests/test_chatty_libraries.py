"""In dev (DEBUG), the DEBUG output of chatty libraries stays out of the rendered lines
unless the application asked for it; their warnings still come through."""

from __future__ import annotations

import json
import logging

import pytest

import otelkit


@pytest.mark.parametrize("library", ["aws_xray_sdk.core.recorder", "botocore.endpoint"])
def test_library_debug_lines_are_not_rendered_in_dev(
    library: str, capsys: pytest.CaptureFixture[str]
) -> None:
    otelkit.configure(service_name="svc", environment="dev", log_format="json", console=False)
    try:
        logging.getLogger(library).debug("segment %s", '{"trace_id": "1-..."}' * 50)
        logging.getLogger(library).warning("throttled")
        otelkit.get_logger("app").debug("app detail")
    finally:
        otelkit.shutdown()
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [(line["logger"], line["message"]) for line in lines] == [
        (library, "throttled"),
        ("app", "app detail"),
    ]


def test_a_level_the_application_set_is_kept(capsys: pytest.CaptureFixture[str]) -> None:
    logging.getLogger("aws_xray_sdk").setLevel(logging.DEBUG)
    try:
        otelkit.configure(service_name="svc", environment="dev", log_format="json", console=False)
        logging.getLogger("aws_xray_sdk.core").debug("wanted")
        otelkit.shutdown()
    finally:
        logging.getLogger("aws_xray_sdk").setLevel(logging.NOTSET)
    assert '"message":"wanted"' in capsys.readouterr().out
