"""The OpenTelemetry SDK specification's variables, each through a real OTLP receiver.

Precedence: a ``configure()`` argument wins over an ``OTEL_*`` variable, which wins over
otelkit's defaults.
"""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from opentelemetry import propagate

import otelkit
from tests.support.otlp_receiver import Received, attributes, otlp_receiver
from tests.support.polling import eventually
from tests.support.processes import production_env
from tests.support.servers import http_server

SIGNAL_PATHS = {"traces": "/v1/traces", "metrics": "/v1/metrics", "logs": "/v1/logs"}


def _work() -> None:
    """One job: a span, a log line and a counter."""
    with otelkit.job("env.job", job_id="job-env-1"), otelkit.span("env.step"):
        otelkit.get_logger("env").info("env line")
        otelkit.count("EnvCounted", 2)


def _sent(received: Received) -> dict[str, bool]:
    return {signal: bool(received.requests.get(path)) for signal, path in SIGNAL_PATHS.items()}


@contextmanager
def _receiving(
    monkeypatch: pytest.MonkeyPatch, env: dict[str, str], **options: Any
) -> Iterator[tuple[str, Received]]:
    """A receiver; the variables set; otelkit configured (endpoint unless given) and the
    block's work flushed and shut down while the receiver still listens."""
    with otlp_receiver() as (endpoint, received):
        for name, value in env.items():
            monkeypatch.setenv(name, value.replace("{endpoint}", endpoint))
        if "OTEL_EXPORTER_OTLP_ENDPOINT" not in env:
            options.setdefault("endpoint", endpoint)
        otelkit.configure(log_stdout=False, **options)
        yield endpoint, received
        otelkit.flush(timeout=5)
        otelkit.shutdown(timeout=5)


def _run(monkeypatch: pytest.MonkeyPatch, env: dict[str, str], **options: Any) -> Received:
    with _receiving(monkeypatch, env, **options) as (_, received):
        _work()
    return received


# --- OTEL_TRACES_SAMPLER, OTEL_TRACES_SAMPLER_ARG -------------------------------------

UNSAMPLED_PARENT = {"traceparent": "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-00"}


@pytest.mark.parametrize(
    ("sampler", "arg", "root_sampled", "under_unsampled_parent"),
    [
        ("always_on", None, True, True),
        ("always_off", None, False, False),
        ("traceidratio", "1", True, True),
        ("traceidratio", "0", False, False),
        ("parentbased_always_on", None, True, False),
        ("parentbased_always_off", None, False, False),
        ("parentbased_traceidratio", "1", True, False),
        ("parentbased_traceidratio", "0", False, False),
    ],
)
def test_otel_traces_sampler(
    monkeypatch: pytest.MonkeyPatch,
    sampler: str,
    arg: str | None,
    root_sampled: bool,
    under_unsampled_parent: bool,
) -> None:
    env = {"OTEL_TRACES_SAMPLER": sampler}
    if arg is not None:
        env["OTEL_TRACES_SAMPLER_ARG"] = arg
    with _receiving(monkeypatch, env, environment="production") as (_, received):
        _work()
        parent = propagate.extract(UNSAMPLED_PARENT)
        with _child_of(parent):
            pass
    names = {span["name"] for span in received.spans()}
    assert ("env.job" in names) is root_sampled
    assert ("under.parent" in names) is under_unsampled_parent
    assert received.logs(), "sampling never drops log records"
    if root_sampled:
        step = next(s for s in received.spans() if s["name"] == "env.step")
        assert attributes(step["attributes"])["job_id"] == "job-env-1"


@contextmanager
def _child_of(parent: Any) -> Iterator[None]:
    from opentelemetry import context, trace

    token = context.attach(parent)
    try:
        with trace.get_tracer("env").start_as_current_span("under.parent"):
            yield
    finally:
        context.detach(token)


def test_an_unknown_sampler_is_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OTEL_TRACES_SAMPLER", "sometimes")
    with pytest.raises(ValueError, match="OTEL_TRACES_SAMPLER='sometimes' is not one of"):
        otelkit.configure(log_stdout=False)


def test_an_explicit_sample_rate_wins_over_the_sampler_arg(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    env = {"OTEL_TRACES_SAMPLER": "traceidratio", "OTEL_TRACES_SAMPLER_ARG": "1"}
    received = _run(monkeypatch, env, sample_rate=0.0)
    assert received.spans() == []


# --- OTEL_{TRACES,METRICS,LOGS}_EXPORTER ----------------------------------------------


@pytest.mark.parametrize("signal", ["traces", "metrics", "logs"])
def test_otel_signal_exporter_none(monkeypatch: pytest.MonkeyPatch, signal: str) -> None:
    received = _run(monkeypatch, {f"OTEL_{signal.upper()}_EXPORTER": "none"})
    assert _sent(received) == {name: name != signal for name in SIGNAL_PATHS}


def test_otel_traces_exporter_console_prints_and_sends_no_spans(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    received = _run(monkeypatch, {"OTEL_TRACES_EXPORTER": "console"})
    assert _sent(received) == {"traces": False, "metrics": True, "logs": True}
    assert "env.step" in capsys.readouterr().err


def test_otel_traces_exporter_otlp_and_console(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    received = _run(monkeypatch, {"OTEL_TRACES_EXPORTER": "otlp,console"})
    assert {span["name"] for span in received.spans()} == {"env.job", "env.step"}
    assert "env.step" in capsys.readouterr().err


def test_otel_metrics_exporter_console(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    received = _run(monkeypatch, {"OTEL_METRICS_EXPORTER": "console"})
    assert _sent(received) == {"traces": True, "metrics": False, "logs": True}
    assert "EnvCounted" in capsys.readouterr().err


def test_an_unknown_exporter_is_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OTEL_TRACES_EXPORTER", "zipkin")
    with pytest.raises(ValueError, match="OTEL_TRACES_EXPORTER='zipkin': zipkin is not one of"):
        otelkit.configure(log_stdout=False)


def test_sdk_disabled_wins_over_an_exporter(monkeypatch: pytest.MonkeyPatch) -> None:
    env = {"OTEL_SDK_DISABLED": "true", "OTEL_TRACES_EXPORTER": "otlp"}
    assert _sent(_run(monkeypatch, env)) == dict.fromkeys(SIGNAL_PATHS, False)


# --- per-signal OTEL_EXPORTER_OTLP_<SIGNAL>_* ------------------------------------------


@pytest.mark.parametrize("signal", ["traces", "metrics", "logs"])
def test_otel_exporter_otlp_signal_endpoint_alone(
    monkeypatch: pytest.MonkeyPatch, signal: str
) -> None:
    """Only that signal has somewhere to go; its URL is used as given."""
    env = {f"OTEL_EXPORTER_OTLP_{signal.upper()}_ENDPOINT": "{endpoint}" + SIGNAL_PATHS[signal]}
    with _receiving(monkeypatch, env, endpoint=None, console=False) as (_, received):
        _work()
    assert _sent(received) == {name: name == signal for name in SIGNAL_PATHS}


def test_otel_exporter_otlp_endpoint_is_the_base_of_every_signal(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    received = _run(monkeypatch, {"OTEL_EXPORTER_OTLP_ENDPOINT": "{endpoint}"})
    assert _sent(received) == dict.fromkeys(SIGNAL_PATHS, True)


def test_otel_exporter_otlp_signal_headers(monkeypatch: pytest.MonkeyPatch) -> None:
    env = {
        "OTEL_EXPORTER_OTLP_HEADERS": "x-tenant=shared",
        "OTEL_EXPORTER_OTLP_TRACES_HEADERS": "x-tenant=spans",
        "OTEL_EXPORTER_OTLP_LOGS_HEADERS": "x-tenant=records",
    }
    received = _run(monkeypatch, env)
    tenants = {
        signal: {h.get("x-tenant") for h in received.headers_of(path)}
        for signal, path in SIGNAL_PATHS.items()
    }
    assert tenants == {"traces": {"spans"}, "metrics": {"shared"}, "logs": {"records"}}


def test_otel_exporter_otlp_signal_compression(monkeypatch: pytest.MonkeyPatch) -> None:
    received = _run(monkeypatch, {"OTEL_EXPORTER_OTLP_TRACES_COMPRESSION": "gzip"})
    encodings = {
        signal: {h.get("Content-Encoding") for h in received.headers_of(path)}
        for signal, path in SIGNAL_PATHS.items()
    }
    assert encodings == {"traces": {"gzip"}, "metrics": {None}, "logs": {None}}


def test_otel_exporter_otlp_signal_protocol_wins_over_the_shared_one(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """gRPC for all but every signal's own protocol says HTTP: everything arrives here."""
    env = {"OTEL_EXPORTER_OTLP_PROTOCOL": "grpc"}
    env |= {f"OTEL_EXPORTER_OTLP_{s.upper()}_PROTOCOL": "http/protobuf" for s in SIGNAL_PATHS}
    assert _sent(_run(monkeypatch, env)) == dict.fromkeys(SIGNAL_PATHS, True)


def test_an_unknown_signal_protocol_is_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_LOGS_PROTOCOL", "http/json")
    with pytest.raises(ValueError, match="OTEL_EXPORTER_OTLP_LOGS_PROTOCOL='http/json'"):
        otelkit.configure(log_stdout=False)


class _SlowTraces(BaseHTTPRequestHandler):
    """Answers traces after a second, the rest at once (with an empty OTLP answer)."""

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length", "0")))
        if self.path == "/v1/traces":
            time.sleep(1.0)
        self.send_response(200)
        self.send_header("Content-Type", "application/x-protobuf")
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.mark.parametrize(
    ("variable", "delivered"),
    [
        ("OTEL_EXPORTER_OTLP_TRACES_TIMEOUT", False),  # traces give up after 200 ms
        ("OTEL_EXPORTER_OTLP_LOGS_TIMEOUT", True),  # traces keep the 10 s default
        ("OTEL_EXPORTER_OTLP_TIMEOUT", False),
    ],
)
def test_otel_exporter_otlp_timeouts_are_milliseconds(
    monkeypatch: pytest.MonkeyPatch, variable: str, delivered: bool
) -> None:
    monkeypatch.setenv(variable, "200")
    with http_server(_SlowTraces) as endpoint:
        otelkit.configure(endpoint=endpoint, log_stdout=False)
        with otelkit.span("slow.export"):
            pass
        started = time.monotonic()
        assert otelkit.flush(timeout=5) is delivered
        assert (time.monotonic() - started < 0.9) is not delivered
        otelkit.shutdown(timeout=1)


# --- OTEL_PROPAGATORS ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "headers"),
    [
        (None, {"traceparent", "x-amzn-trace-id", "baggage"}),
        ("tracecontext", {"traceparent"}),
        ("xray,baggage", {"x-amzn-trace-id", "baggage"}),
        ("none", set()),
    ],
)
def test_otel_propagators(
    monkeypatch: pytest.MonkeyPatch, value: str | None, headers: set[str]
) -> None:
    if value is not None:
        monkeypatch.setenv("OTEL_PROPAGATORS", value)
    otelkit.configure(log_stdout=False)
    carrier: dict[str, str] = {}
    with otelkit.job("propagating", job_id="job-p"), otelkit.span("outgoing"):
        propagate.get_global_textmap().inject(carrier)
        getattr(propagate.get_global_textmap(), "inject_unfiltered", lambda c: None)(carrier)
    assert {key.lower() for key in carrier} == headers


def test_an_uninstalled_propagator_is_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OTEL_PROPAGATORS", "tracecontext,nosuchformat")
    with pytest.raises(ValueError, match="no propagator named 'nosuchformat'"):
        otelkit.configure(log_stdout=False)


# --- OTEL_RESOURCE_ATTRIBUTES ---------------------------------------------------------


def test_otel_resource_attributes_name_the_service_and_environment(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    env = {
        "OTEL_RESOURCE_ATTRIBUTES": "service.name=checkout,deployment.environment.name=staging,"
        "team=pay%20ments"
    }
    received = _run(monkeypatch, env)
    resources = [resource for resource, _ in received.with_resource("/v1/traces")]
    assert resources
    for resource in resources:
        assert resource["service.name"] == "checkout"
        assert resource["deployment.environment.name"] == "staging"
        assert resource["deployment.environment"] == "staging"
        assert resource["team"] == "pay ments"


def test_the_old_deployment_environment_key_counts_too(monkeypatch: pytest.MonkeyPatch) -> None:
    received = _run(monkeypatch, {"OTEL_RESOURCE_ATTRIBUTES": "deployment.environment=qa"})
    assert received.resources()[0]["deployment.environment.name"] == "qa"


def test_otel_service_name_and_arguments_win_over_resource_attributes(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    env = {
        "OTEL_RESOURCE_ATTRIBUTES": "service.name=from-attributes,deployment.environment.name=qa",
        "OTEL_SERVICE_NAME": "from-variable",
    }
    assert _run(monkeypatch, env).resources()[0]["service.name"] == "from-variable"
    resource = _run(monkeypatch, env, service_name="argument", environment="prod").resources()[0]
    assert (resource["service.name"], resource["deployment.environment.name"]) == (
        "argument",
        "prod",
    )


# --- attribute and event limits -------------------------------------------------------


def _limited_span() -> None:
    with otelkit.span("limited") as span:
        for index in range(6):
            span.set_attribute(f"a{index}", "x" * 40)
            span.add_event(f"event {index}", {"e": "y" * 40})


@pytest.mark.parametrize(
    ("variable", "check"),
    [
        ("OTEL_SPAN_ATTRIBUTE_COUNT_LIMIT", lambda span: len(span.get("attributes", [])) == 3),
        ("OTEL_ATTRIBUTE_COUNT_LIMIT", lambda span: len(span.get("attributes", [])) == 3),
        ("OTEL_SPAN_EVENT_COUNT_LIMIT", lambda span: len(span.get("events", [])) == 3),
        (
            "OTEL_EVENT_ATTRIBUTE_COUNT_LIMIT",
            lambda span: all(len(e.get("attributes", [])) <= 3 for e in span["events"]),
        ),
        (
            "OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT",
            lambda span: set(attributes(span["attributes"]).values()) == {"xxx"},
        ),
        (
            "OTEL_SPAN_ATTRIBUTE_VALUE_LENGTH_LIMIT",
            lambda span: set(attributes(span["attributes"]).values()) == {"xxx"},
        ),
    ],
)
def test_otel_limits(monkeypatch: pytest.MonkeyPatch, variable: str, check: Any) -> None:
    with _receiving(monkeypatch, {variable: "3"}) as (_, received):
        _limited_span()
    (span,) = received.spans()
    assert check(span), span


# --- metrics: export interval and temporality -----------------------------------------


def test_otel_metric_export_interval(monkeypatch: pytest.MonkeyPatch) -> None:
    with _receiving(monkeypatch, {"OTEL_METRIC_EXPORT_INTERVAL": "200"}) as (_, received):
        otelkit.count("Ticked", 1)
        eventually(lambda: any(m["name"] == "Ticked" for m in received.metrics()), timeout=3)


@pytest.mark.parametrize(
    ("preference", "values"),
    [("delta", ["2", "3"]), ("cumulative", ["2", "5"]), ("lowmemory", ["2", "3"])],
)
def test_otel_exporter_otlp_metrics_temporality_preference(
    monkeypatch: pytest.MonkeyPatch, preference: str, values: list[str]
) -> None:
    env = {"OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE": preference}
    with _receiving(monkeypatch, env) as (_, received):
        otelkit.count("Temporal", 2)
        otelkit.flush(timeout=5)
        otelkit.count("Temporal", 3)
    points = [
        point["asInt"]
        for metric in received.metrics()
        if metric["name"] == "Temporal"
        for point in metric["sum"]["dataPoints"]
    ]
    assert points[:2] == values


def test_an_unknown_temporality_is_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE", "sometimes")
    with pytest.raises(ValueError, match="TEMPORALITY_PREFERENCE='sometimes'"):
        otelkit.configure(log_stdout=False)


# --- OTEL_LOG_LEVEL -------------------------------------------------------------------


@pytest.mark.slow
@pytest.mark.parametrize(("level", "said"), [(None, True), ("error", False), ("debug", True)])
def test_otel_log_level_governs_the_sdks_and_otelkits_own_diagnostics(
    level: str | None, said: bool
) -> None:
    """A resource detector whose metadata endpoint refuses: a WARNING of the SDK's, shown
    by default and at ``debug``, not at ``error``."""
    env = production_env(
        OTELKIT_RESOURCE_DETECTORS="ecs",
        ECS_CONTAINER_METADATA_URI_V4="http://127.0.0.1:9/metadata",
    )
    env.pop("OTEL_LOG_LEVEL", None)
    if level is not None:
        env["OTEL_LOG_LEVEL"] = level
    program = "import otelkit; otelkit.configure(log_stdout=False, console=False)"
    done = subprocess.run(
        [sys.executable, "-c", program], env=env, capture_output=True, text=True, timeout=30
    )
    assert done.returncode == 0, done.stderr
    assert ("AwsEcsResourceDetector failed" in done.stderr) is said, done.stderr


@pytest.mark.parametrize("signal", ["traces", "logs"])
def test_otel_exporter_otlp_signal_protocol_grpc_alone(
    monkeypatch: pytest.MonkeyPatch, signal: str
) -> None:
    """One signal over gRPC to its own endpoint, the others over HTTP: each arrives where
    it was sent."""
    from tests.support.otlp_grpc_receiver import otlp_grpc_receiver

    with otlp_grpc_receiver() as (grpc_endpoint, over_grpc):
        env = {
            f"OTEL_EXPORTER_OTLP_{signal.upper()}_PROTOCOL": "grpc",
            f"OTEL_EXPORTER_OTLP_{signal.upper()}_ENDPOINT": grpc_endpoint,
        }
        received = _run(monkeypatch, env)
    assert set(over_grpc) == {signal}
    assert _sent(received) == {name: name != signal for name in SIGNAL_PATHS}


@pytest.mark.parametrize(
    ("protocol", "url"),
    [("http/protobuf", "http://localhost:4318/v1/traces"), ("grpc", "http://localhost:4317")],
)
def test_otlp_asked_for_without_an_endpoint_goes_to_the_specification_default(
    protocol: str, url: str
) -> None:
    """(The default port is not one a test may listen on, so this reads the plan.)"""
    from otelkit._config.settings import resolve
    from otelkit._sdk.export_plan import plan

    settings = resolve(
        {}, {"OTEL_TRACES_EXPORTER": "otlp", "OTEL_EXPORTER_OTLP_TRACES_PROTOCOL": protocol}
    )
    signals = plan(settings)
    assert signals["traces"].url == url
    assert signals["metrics"].url is None, "only the signal that asked for OTLP"


@given(
    name=st.text(min_size=1, max_size=30).filter(lambda t: t.strip() == t and t.strip()),
    noise=st.text(max_size=30),
)
def test_any_service_name_in_resource_attributes_round_trips(name: str, noise: str) -> None:
    """Percent-encoded as the specification asks, any name comes back as it was, whatever
    other entries (even malformed ones) sit around it."""
    from urllib.parse import quote

    from otelkit._config.settings import resolve

    junk = quote(noise, safe="")  # no "=": entries without a value, which are skipped
    text = f"{junk},service.name={quote(name, safe='')},{junk}"
    assert resolve({}, {"OTEL_RESOURCE_ATTRIBUTES": text}).service_name == name
