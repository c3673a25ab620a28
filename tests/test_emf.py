"""Metrics as CloudWatch EMF documents on stdout, for Lambda and jobs without a collector."""

from __future__ import annotations

import subprocess
import sys
import time
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from opentelemetry import metrics

import otelkit
from otelkit._core import drops as _drops
from otelkit._core import switch as _switch
from otelkit._metering.emf_meter import EMFMeterProvider
from otelkit._metering.meter_tee import TeeMeterProvider
from tests.support.emf import by_metric as _by_metric
from tests.support.emf import documents as _documents
from tests.support.otlp_receiver import otlp_receiver


def test_metrics_become_valid_emf_documents(capsys: pytest.CaptureFixture[str]) -> None:
    otelkit.configure(
        service_name="rez-agent", emf_namespace="RezAgent", console=False, log_stdout=False
    )
    with otelkit.bind(correlation_id="c-1", message_id="m-1"):
        otelkit.count("MessagesProcessed", 2, status="completed")
        otelkit.count("MessagesProcessed", 1, status="failed")
        otelkit.record("ProcessingDuration", 12.5, unit="ms", status="completed")
        otelkit.record("ProcessingDuration", 7.5, unit="ms", status="completed")
        otelkit.gauge("QueueDepth", 4)
    assert otelkit.flush()
    documents = _documents(capsys.readouterr().out)

    (completed,) = (doc for doc in documents if doc.get("status") == "completed")
    directive = completed["_aws"]["CloudWatchMetrics"][0]
    assert directive["Namespace"] == "RezAgent"
    assert directive["Dimensions"] == [["service", "status"]], "never an ID"
    assert {m["Name"]: m["Unit"] for m in directive["Metrics"]} == {
        "MessagesProcessed": "Count",
        "ProcessingDuration": "Milliseconds",
    }
    assert completed["MessagesProcessed"] == 2
    assert completed["ProcessingDuration"] == {"Min": 7.5, "Max": 12.5, "Sum": 20.0, "Count": 2}
    assert (completed["service"], completed["status"]) == ("rez-agent", "completed")
    assert isinstance(completed["_aws"]["Timestamp"], int)
    (failed,) = (doc for doc in documents if doc.get("status") == "failed")
    assert failed["MessagesProcessed"] == 1
    (depth,) = _by_metric(documents, "QueueDepth")
    assert depth["_aws"]["CloudWatchMetrics"][0]["Dimensions"] == [["service"]]
    assert depth["QueueDepth"] == 4
    assert not any("correlation_id" in doc or "message_id" in doc for doc in documents)


def test_each_flush_reports_only_what_happened_since_the_last(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """Delta temporality: one flush per Lambda invocation reports that invocation."""
    otelkit.configure(emf_namespace="Jobs", console=False, log_stdout=False)
    otelkit.count("Invocations", 1)
    otelkit.flush()
    otelkit.count("Invocations", 1)
    otelkit.flush()
    otelkit.flush()  # nothing new: no document, not a zero
    values = [
        doc["Invocations"] for doc in _by_metric(_documents(capsys.readouterr().out), "Invocations")
    ]
    assert values == [1, 1]


def test_lambda_invocation_flushes_its_metrics_as_emf(capsys: pytest.CaptureFixture[str]) -> None:
    otelkit.configure(
        service_name="scheduler", emf_namespace="RezAgent", console=False, log_stdout=False
    )

    @otelkit.aws.lambda_handler
    def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
        otelkit.count("MessagesCreated", 1, message_type="scheduled")
        return {"ok": True}

    handler({}, None)
    (created,) = _by_metric(_documents(capsys.readouterr().out), "MessagesCreated")
    assert created["message_type"] == "scheduled"


def test_too_many_dimensions_are_cut_and_said(capsys: pytest.CaptureFixture[str]) -> None:
    otelkit.configure(emf_namespace="Wide", console=False, log_format="json")
    otelkit.count("WideMetric", 1, **{f"d{n:02d}": "x" for n in range(35)})
    otelkit.flush()
    out = capsys.readouterr().out
    (wide,) = _by_metric(_documents(out), "WideMetric")
    assert len(wide["_aws"]["CloudWatchMetrics"][0]["Dimensions"][0]) == 30
    assert "metric WideMetric has 36 dimensions; EMF allows 30" in out


def test_points_past_thirty_dimensions_are_never_merged(capsys: pytest.CaptureFixture[str]) -> None:
    otelkit.configure(emf_namespace="Wide", console=False, log_stdout=False)
    wide = {f"d{n:02d}": "x" for n in range(34)}
    otelkit.count("Wide", 1, **wide, tail="a")
    otelkit.count("Wide", 2, **wide, tail="b")  # differs only past the 30th dimension
    otelkit.flush()
    documents = _by_metric(_documents(capsys.readouterr().out), "Wide")
    assert sorted((doc["tail"], doc["Wide"]) for doc in documents) == [("a", 1), ("b", 2)]


def test_a_gauge_is_written_only_by_the_flush_after_it_was_set(
    capsys: pytest.CaptureFixture[str],
) -> None:
    otelkit.configure(emf_namespace="Jobs", console=False, log_stdout=False)
    otelkit.gauge("QueueDepth", 7)
    otelkit.flush()
    otelkit.count("Other", 1)
    otelkit.flush()  # a later invocation that set no gauge
    depths = [
        d["QueueDepth"] for d in _by_metric(_documents(capsys.readouterr().out), "QueueDepth")
    ]
    assert depths == [7]


def test_dimension_values_are_strings_cloudwatch_takes(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Outside strict mode a value CloudWatch would refuse is coerced, said once on stderr
    and counted; the point is still written."""
    monkeypatch.delenv("OTELKIT_STRICT")
    before = _drops.snapshot()
    otelkit.configure(emf_namespace="Jobs", console=False, log_stdout=False)
    otelkit.count("Requests", 1, route="/b", size=3, long="v" * 1100)
    otelkit.count("Cafes", 1, city="Zürich\tcafé", blank="  ")
    otelkit.count("route", 1, route="/b")  # a metric named like a dimension: not guessed
    otelkit.flush()
    captured = capsys.readouterr()
    documents = _documents(captured.out)
    (requests,) = _by_metric(documents, "Requests")
    assert requests["size"] == "3"
    assert requests["long"] == "v" * 1024
    (cafes,) = _by_metric(documents, "Cafes")
    assert cafes["city"] == "Z\\xfcrich\\x09caf\\xe9"
    assert cafes["blank"] == "(blank)"
    assert not _by_metric(documents, "route")
    reasons = {
        reason
        for (signal, reason), n in _drops.snapshot().items()
        if n > before.get((signal, reason), 0)
    }
    assert {
        "EMF dimension value (too long)",
        "EMF dimension value (not printable ASCII)",
        "EMF dimension value (blank)",
        "EMF metric named like a dimension",
    } <= reasons


def test_a_dimension_name_cloudwatch_refuses_drops_the_point(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("OTELKIT_STRICT")
    otelkit.configure(emf_namespace="Jobs", console=False, log_stdout=False)
    for name in (":colon", "n" * 256, "caf\u00e9", " ", "_aws"):
        otelkit.count("Odd", 1, **{name: "x"})
    otelkit.count("Odd", 5, fine="x")
    otelkit.flush()
    assert [doc["Odd"] for doc in _by_metric(_documents(capsys.readouterr().out), "Odd")] == [5]


@pytest.mark.parametrize(
    "dimensions",
    [{"long": "v" * 1025}, {"city": "Zürich"}, {"blank": ""}, {":x": "1"}, {"_aws": "x"}],
)
def test_strict_mode_raises_on_what_cloudwatch_refuses(dimensions: dict[str, str]) -> None:
    otelkit.configure(emf_namespace="Jobs", console=False, log_stdout=False)
    with pytest.raises(ValueError, match="dimension"):
        otelkit.count("Strict", 1, **dimensions)


@pytest.mark.parametrize(
    "namespace",
    ["bad ns!", "AWS/Lambda", ":Orders", " ", "n" * 256, "Caf\u00e9", "tab\there"],
)
def test_a_namespace_cloudwatch_refuses_is_a_configure_error(
    namespace: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    with pytest.raises(ValueError, match="not a CloudWatch namespace"):
        otelkit.configure(emf_namespace=namespace, console=False, log_stdout=False)
    if not namespace.strip():
        return  # a blank variable counts as unset, as every setting's does
    monkeypatch.setenv("OTELKIT_EMF_NAMESPACE", namespace)
    with pytest.raises(ValueError, match="OTELKIT_EMF_NAMESPACE"):
        otelkit.configure(console=False, log_stdout=False)


def test_every_namespace_character_cloudwatch_allows_is_taken(
    capsys: pytest.CaptureFixture[str],
) -> None:
    namespace = "My App/Orders-v2_eu#1:blue." + "n" * 228
    assert len(namespace) == 255
    otelkit.configure(emf_namespace=namespace, console=False, log_stdout=False)
    otelkit.count("Orders", 1)
    otelkit.flush()
    (orders,) = _by_metric(_documents(capsys.readouterr().out), "Orders")
    assert orders["_aws"]["CloudWatchMetrics"][0]["Namespace"] == namespace


@pytest.mark.parametrize(("resolution", "written"), [(1, 1), (60, None), ("1", 1)])
def test_storage_resolution_marks_high_resolution_metrics(
    resolution: int, written: int | None, capsys: pytest.CaptureFixture[str]
) -> None:
    otelkit.configure(
        emf_namespace="Jobs", emf_storage_resolution=resolution, console=False, log_stdout=False
    )
    otelkit.count("Ticks", 1)
    otelkit.record("TickDuration", 2.0, unit="ms")
    otelkit.flush()
    documents = _documents(capsys.readouterr().out)
    (ticks,) = _by_metric(documents, "Ticks")
    definitions = ticks["_aws"]["CloudWatchMetrics"][0]["Metrics"]
    assert [d.get("StorageResolution") for d in definitions] == [written, written]


def test_storage_resolution_from_the_environment(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OTELKIT_EMF_STORAGE_RESOLUTION", "1")
    otelkit.configure(emf_namespace="Jobs", console=False, log_stdout=False)
    otelkit.count("Ticks", 1)
    otelkit.flush()
    (ticks,) = _by_metric(_documents(capsys.readouterr().out), "Ticks")
    assert ticks["_aws"]["CloudWatchMetrics"][0]["Metrics"][0]["StorageResolution"] == 1
    monkeypatch.setenv("OTELKIT_EMF_STORAGE_RESOLUTION", "30")
    with pytest.raises(ValueError, match=r"must be 1 .* or 60"):
        otelkit.configure(emf_namespace="Jobs", console=False, log_stdout=False)


@pytest.mark.parametrize("resolution", [30, 0, True, "high"])
def test_storage_resolution_is_1_or_60(resolution: object) -> None:
    with pytest.raises(ValueError, match="emf_storage_resolution"):
        otelkit.configure(
            emf_namespace="Jobs",
            emf_storage_resolution=resolution,  # type: ignore[arg-type]
            console=False,
            log_stdout=False,
        )


def test_a_document_holds_at_most_100_metrics(capsys: pytest.CaptureFixture[str]) -> None:
    otelkit.configure(emf_namespace="Many", console=False, log_stdout=False)
    for n in range(150):
        otelkit.count(f"Metric{n:03d}", n + 1, shard="a")
    otelkit.flush()
    documents = [doc for doc in _documents(capsys.readouterr().out) if doc.get("shard") == "a"]
    assert sorted(len(doc["_aws"]["CloudWatchMetrics"][0]["Metrics"]) for doc in documents) == [
        50,
        100,
    ]
    values = {name: doc[name] for doc in documents for name in doc if name.startswith("Metric")}
    assert values == {f"Metric{n:03d}": n + 1 for n in range(150)}


def test_emf_only_metrics_never_enter_the_sdk() -> None:
    """EMF as the only destination: a plain aggregator is the meter provider."""
    otelkit.configure(emf_namespace="Jobs", console=False, log_stdout=False)
    assert isinstance(_switch.METER_PROVIDER.target, EMFMeterProvider)


def test_beside_otlp_the_sdk_aggregates_for_otlp_alone() -> None:
    """No second SDK reader for EMF: the SDK's machinery runs once per measurement."""
    with otlp_receiver() as (endpoint, _):
        otelkit.configure(
            endpoint=endpoint,
            emf_namespace="Both",
            log_stdout=False,
            console=False,
            prometheus=False,  # the runtime extra's reader is a reader of its own
        )
        tee = _switch.METER_PROVIDER.target
        assert isinstance(tee, TeeMeterProvider)
        assert isinstance(tee.emf, EMFMeterProvider)
        assert len(tee.sdk._metric_readers) == 1  # type: ignore[attr-defined]
        otelkit.shutdown(timeout=10)


def test_otlp_and_emf_each_get_every_point_once(capsys: pytest.CaptureFixture[str]) -> None:
    with otlp_receiver() as (endpoint, received):
        otelkit.configure(
            service_name="both", endpoint=endpoint, emf_namespace="Both", log_stdout=False
        )
        otelkit.count("Orders", 2, region="eu")
        otelkit.count("Orders", 3, region="eu")
        otelkit.record("OrderDuration", 4.0, unit="ms", region="eu")
        assert otelkit.flush(timeout=10)
        otelkit.shutdown(timeout=10)
    (orders,) = _by_metric(_documents(capsys.readouterr().out), "Orders")
    assert (orders["Orders"], orders["region"]) == (5, "eu")
    assert orders["OrderDuration"] == 4.0  # one observation: its value, not a statistic set
    sums = [
        int(point["asInt"])
        for metric in received.metrics()
        if metric["name"] == "Orders"
        for point in metric["sum"]["dataPoints"]
    ]
    assert sums, "OTLP got the counter too"
    assert sums[-1] == 5  # cumulative off Lambda: the last export holds the total


def test_observable_instruments_are_read_at_each_flush(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """Instruments made through the OpenTelemetry API (as instrumentations do) reach EMF."""
    otelkit.configure(emf_namespace="Api", console=False, log_stdout=False)
    meter = metrics.get_meter("tests.emf")
    total = [10]
    meter.create_observable_counter(
        "BytesSeen", [lambda options: [metrics.Observation(total[0], {"disk": "a"})]], unit="By"
    )
    meter.create_observable_gauge("Temperature", [lambda options: [metrics.Observation(21.5)]])
    meter.create_up_down_counter("InFlight").add(-2)
    otelkit.count("Tick", 1)  # something recorded: the flush collects
    otelkit.flush()
    total[0] = 25
    otelkit.count("Tick", 1)
    otelkit.flush()
    documents = _documents(capsys.readouterr().out)
    assert [doc["BytesSeen"] for doc in _by_metric(documents, "BytesSeen")] == [10, 15]
    assert (
        _by_metric(documents, "BytesSeen")[0]["_aws"]["CloudWatchMetrics"][0]["Metrics"][0]["Unit"]
        == "Bytes"
    )
    assert [doc["Temperature"] for doc in _by_metric(documents, "Temperature")] == [21.5, 21.5]
    assert [doc["InFlight"] for doc in _by_metric(documents, "InFlight")] == [-2]


def test_off_lambda_documents_are_written_every_interval(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OTEL_METRIC_EXPORT_INTERVAL", "100")
    otelkit.configure(emf_namespace="Jobs", console=False, log_stdout=False)
    otelkit.count("Background", 1)
    seen: list[dict[str, Any]] = []
    deadline = time.monotonic() + 10
    while not seen and time.monotonic() < deadline:
        time.sleep(0.05)
        seen = _by_metric(_documents(capsys.readouterr().out), "Background")
    assert [doc["Background"] for doc in seen] == [1]


_TEXT = st.text(st.characters(codec="utf-8"), max_size=1100)
_VALUES = (
    st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.none()
    | st.text(max_size=5)
)


@settings(
    max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    kind=st.sampled_from(["count", "record", "gauge"]),
    value=_VALUES,
    dimensions=st.dictionaries(
        # name, value and unit are the calls' own parameters, not dimensions
        st.text(max_size=300).filter(lambda key: key not in ("name", "value", "unit")),
        _TEXT | st.integers() | st.none(),
        max_size=35,
    ),
)
def test_any_metric_call_never_raises_and_writes_only_valid_documents(
    kind: str,
    value: Any,
    dimensions: dict[str, Any],
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Outside strict mode nothing raises, whatever is written is valid EMF, and a point
    that is not written is counted as dropped."""
    monkeypatch.delenv("OTELKIT_STRICT", raising=False)
    otelkit.configure(emf_namespace="Fuzz", console=False, log_stdout=False)
    name = f"Fuzzed{kind.title()}"
    dropped = sum(_drops.totals().values())
    getattr(otelkit, kind)(name, value, **dimensions)
    otelkit.flush()
    documents = _documents(capsys.readouterr().out)  # each checked against the schema
    written = _by_metric(documents, name)
    assert written or sum(_drops.totals().values()) > dropped


_FORK_SCRIPT = """
import os, sys
import otelkit
otelkit.configure(service_name="forked", emf_namespace="Fork", console=False, log_stdout=False)
otelkit.count("Events", 3, who="parent")
pid = os.fork()
if pid == 0:
    otelkit.count("Events", 1, who="child")
    otelkit.flush()
    sys.stdout.flush()
    os._exit(0)
os.waitpid(pid, 0)
otelkit.flush()
"""


def test_a_forked_child_writes_only_its_own_points() -> None:
    """The parent's points not yet flushed at the fork are the parent's to write."""
    done = subprocess.run(
        [sys.executable, "-c", _FORK_SCRIPT], capture_output=True, text=True, timeout=60, check=True
    )
    written = sorted((doc["who"], doc["Events"]) for doc in _documents(done.stdout))
    assert written == [("child", 1), ("parent", 3)]


def test_an_instrumentation_metric_name_cloudwatch_refuses_is_left_out(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("OTELKIT_STRICT")
    otelkit.configure(emf_namespace="Api", console=False, log_stdout=False)
    meter = metrics.get_meter("tests.emf.names")
    meter.create_counter("temp\u00e9rature").add(1)
    meter.create_histogram("x" * 256).record(1.0)
    meter.create_counter("http.client.requests").add(2)
    otelkit.flush()
    captured = capsys.readouterr()
    names = {
        m["Name"]
        for doc in _documents(captured.out)
        for m in doc["_aws"]["CloudWatchMetrics"][0]["Metrics"]
    }
    assert "http.client.requests" in names
    assert not any(name.startswith(("temp", "xxx")) for name in names)


def test_what_is_left_at_exit_is_written() -> None:
    """A batch job that never flushes still reports: the exit shutdown writes the rest."""
    script = (
        "import otelkit\n"
        "otelkit.configure(service_name='job', emf_namespace='Jobs', console=False, "
        "log_stdout=False)\n"
        "otelkit.count('RowsLoaded', 120, table='orders')\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=60, check=True
    )
    (rows,) = _by_metric(_documents(done.stdout), "RowsLoaded")
    assert (rows["RowsLoaded"], rows["table"], rows["service"]) == (120, "orders", "job")


def test_values_that_compare_equal_stay_distinct_series(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """True == 1 == 1.0 in Python, but they are three dimension values."""
    otelkit.configure(emf_namespace="Jobs", console=False, log_stdout=False)
    otelkit.count("Flags", 1, flag=1)
    otelkit.count("Flags", 2, flag=True)
    otelkit.count("Flags", 4, flag=1.0)
    otelkit.flush()
    documents = _by_metric(_documents(capsys.readouterr().out), "Flags")
    assert sorted((doc["flag"], doc["Flags"]) for doc in documents) == [
        ("1", 1),
        ("1.0", 4),
        ("True", 2),
    ]


def test_a_dimension_named_aws_is_refused_reported_and_counted(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from otelkit._core import drops as _drops
    from otelkit._core import safety as _safety

    monkeypatch.delenv("OTELKIT_STRICT")
    monkeypatch.setattr(_safety, "_reported", set())
    otelkit.configure(emf_namespace="Jobs", console=False, log_stdout=False)
    before = _drops.snapshot().get(("metrics", "EMF dimension name"), 0)
    otelkit.count("Meta", 1, _aws="overwritten")
    otelkit.count("Meta", 2, queue="a")
    otelkit.flush()
    captured = capsys.readouterr()
    documents = _documents(captured.out)  # each validated against the EMF schema
    assert [doc["Meta"] for doc in _by_metric(documents, "Meta")] == [2]
    assert all(isinstance(doc["_aws"], dict) for doc in documents)
    assert "'_aws'" in captured.err
    assert _drops.snapshot()[("metrics", "EMF dimension name")] == before + 1
