"""A ``get_logger`` line that reaches otelkit's handler alone is made from an ``OwnRecord``;
one that any other handler or filter may see is the stdlib's ``LogRecord``. Either way the
line is the same, and the record has every attribute a stdlib record has."""

from __future__ import annotations

import contextlib
import io
import json
import logging
import multiprocessing
import os
import threading
from typing import Any
from unittest import mock

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import otelkit
from otelkit._logs.handler import OtelkitHandler
from otelkit._logs.own_records import OwnRecord, sole_handler

# The attributes that change from one moment to the next.
_TIMES = {"created", "msecs", "relativeCreated"}


class _Kept(logging.Handler):
    def __init__(self, level: int = logging.NOTSET) -> None:
        super().__init__(level)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@pytest.fixture
def handed(monkeypatch: pytest.MonkeyPatch) -> list[logging.LogRecord]:
    """The records otelkit's handler is handed (and writes as usual)."""
    records: list[logging.LogRecord] = []
    emit = OtelkitHandler.emit

    def keeping(self: OtelkitHandler, record: logging.LogRecord) -> None:
        records.append(record)
        emit(self, record)

    otelkit.configure(log_format="json", console=False)
    monkeypatch.setattr(OtelkitHandler, "emit", keeping)
    return records


def _lines(out: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in out.split("\n") if line.startswith("{")]


def _one_line(log: otelkit.Logger, **fields: Any) -> None:
    log.info("saved %s of %d", "scene", 3, **fields)


def test_the_root_logger_has_otelkits_handler_alone_in_these_tests() -> None:
    otelkit.configure(console=False)
    assert [type(h) for h in logging.getLogger().handlers] == [OtelkitHandler]


def test_a_record_for_otelkit_alone_has_every_attribute_of_a_stdlib_record(
    handed: list[logging.LogRecord],
) -> None:
    log = otelkit.get_logger("own.attributes")
    thread = threading.Thread(target=_one_line, args=(log,), kwargs={"scene": 1}, name="worker-7")
    thread.start()
    thread.join()
    (own,) = handed
    assert type(own) is OwnRecord
    stdlib = logging.LogRecord(
        own.name, own.levelno, own.pathname, own.lineno, own.msg, own.args, None, own.funcName
    )
    for name, value in vars(stdlib).items():
        if name not in _TIMES | {"thread", "threadName"}:
            assert getattr(own, name) == value, name
    assert (own.threadName, own.thread) == ("worker-7", thread.ident)
    assert own.processName == multiprocessing.current_process().name
    assert own.getMessage() == "saved scene of 3"
    assert abs(own.created - stdlib.created) < 1
    assert own.msecs == int((own.created - int(own.created)) * 1000)
    assert abs(own.relativeCreated - stdlib.relativeCreated) < 1000
    assert own.__dict__["otelkit_fields"] == {"scene": 1}
    with pytest.raises(AttributeError):
        _ = own.no_such_attribute


@pytest.mark.parametrize(
    "arrange",
    [
        lambda log: log.stdlib.addHandler(_Kept()),
        lambda log: logging.getLogger().addHandler(_Kept()),
        lambda log: log.stdlib.addFilter(lambda record: True),
        lambda log: logging.getLogger().handlers[0].addFilter(lambda record: True),
    ],
    ids=["a handler on the logger", "a handler on the root", "a logger filter", "a handler filter"],
)
def test_a_record_any_other_handler_or_filter_may_see_is_the_stdlibs(
    handed: list[logging.LogRecord], capsys: pytest.CaptureFixture[str], arrange: Any
) -> None:
    log = otelkit.get_logger("own.shared")
    root = logging.getLogger()
    handlers, filters = list(root.handlers), list(root.handlers[0].filters)
    arrange(log)
    try:
        _one_line(log)
    finally:
        root.handlers[:] = handlers
        root.handlers[0].filters[:] = filters
        log.stdlib.handlers.clear()
        log.stdlib.filters.clear()
    (record,) = handed
    assert type(record) is logging.LogRecord
    (line,) = _lines(capsys.readouterr().out)
    assert line["message"] == "saved scene of 3"


def test_a_handler_the_level_keeps_out_does_not_count(handed: list[logging.LogRecord]) -> None:
    log = otelkit.get_logger("own.levels")
    log.stdlib.addHandler(_Kept(logging.ERROR))
    try:
        _one_line(log)
    finally:
        log.stdlib.handlers.clear()
    assert type(handed[0]) is OwnRecord


def test_sole_handler_follows_the_stdlibs_walk() -> None:
    otelkit.configure(console=False)
    ours = logging.getLogger().handlers[0]
    log = logging.getLogger("own.walk")
    assert sole_handler(log, logging.INFO) is ours
    log.propagate = False
    try:
        assert sole_handler(log, logging.INFO) is None, "no handler reached: lastResort's"
        log.addHandler(ours)
        assert sole_handler(log, logging.INFO) is ours
        log.propagate = True
        assert sole_handler(log, logging.INFO) is None, "otelkit's handler twice"
    finally:
        log.propagate = True
        log.removeHandler(ours)


_text = st.text(st.characters(exclude_categories=["Cs"]), max_size=40)


class _Unprintable:
    """A field value whose text cannot be made."""

    def __str__(self) -> str:
        raise RuntimeError("no text")

    __repr__ = __str__


_field_values = st.one_of(
    _text,
    st.integers(),
    st.floats(allow_nan=False),
    st.none(),
    st.booleans(),
    st.just(_Unprintable()),
)


@settings(max_examples=60, deadline=None)
@given(
    message=_text,
    args=st.lists(_text, max_size=2),
    placeholder=st.sampled_from([" %s", " %d"]),  # %d of a text: the message cannot be made
    fields=st.dictionaries(
        st.from_regex(r"[a-z][a-z_]{0,12}", fullmatch=True), _field_values, max_size=4
    ),
)
def test_the_line_is_the_same_whichever_record_made_it(
    message: str, args: list[str], placeholder: str, fields: dict[str, Any]
) -> None:
    """As deployed (``OTELKIT_STRICT`` unset: a failure is reported, the line still
    written), with hostile values and formats."""
    with mock.patch.dict(os.environ):
        os.environ.pop("OTELKIT_STRICT", None)
        otelkit.configure(log_format="json", console=False, environment="prod")
        log = otelkit.get_logger("own.same")
        fmt = message.replace("%", "%%") + placeholder * len(args)
        written = []
        for shared in (False, True):
            if shared:
                log.stdlib.addHandler(_Kept())
            try:
                out = io.StringIO()
                with (
                    otelkit.bind(job_id="job-1"),
                    contextlib.redirect_stdout(out),
                    contextlib.redirect_stderr(io.StringIO()),  # the failure's report
                ):
                    log.warning(fmt, *args, **fields)
                written.append(_lines(out.getvalue()))
            finally:
                log.stdlib.handlers.clear()
    own, stdlib = written
    assert len(own) == len(stdlib) == 1
    for line in (own[0], stdlib[0]):
        del line["timestamp"]
    assert own == stdlib
