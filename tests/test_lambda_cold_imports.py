"""An EMF-only Lambda function's cold start loads only what its first invocation needs:
no exporter, no HTTP stack, no protobuf, none of the OpenTelemetry SDK (its spans go
nowhere: otelkit's own sampler and IDs decide them; no resource is detected). Checked in a
fresh interpreter, so a new top-level import anywhere on that path fails here."""

from __future__ import annotations

import json
import os
import subprocess
import sys

#: What an EMF-only function never uses; each is tens of milliseconds of cold start.
NOT_ON_THE_EMF_PATH = (
    "otelkit._sdk.otlp_export",
    "otelkit._sdk.collector_link",
    "otelkit._sdk.outbox",
    "otelkit._sdk.console",
    "otelkit._sdk.metric_export",
    "otelkit._sdk.metric_hold",
    "otelkit._sdk.otlp_http",
    "otelkit._sdk.http_post",
    "otelkit._sdk.http_wire",
    "otelkit._sdk.otlp_encoding",
    "http.client",
    "logging.config",
    "hashlib",
    "requests",
    "urllib3",
    "google.protobuf",
    "opentelemetry.proto",
    "opentelemetry.exporter",
    "opentelemetry.sdk",  # its trace, resources, logs and metrics packages alike
    "otelkit._sdk.resource",
    "otelkit._sdk.sdk_sampling",
    "socket",
    "subprocess",
    # what only SQS/SNS records, jobs and sessions, baggage or platform fields use
    "otelkit.aws._consume",
    "otelkit.aws._records",
    "otelkit.aws._record_view",  # a stream or broker record, made by _record_sources
    "otelkit.aws._shapes",
    "otelkit.aws._messages",
    "otelkit._scopes",
    "otelkit._logs.failure_lines",
    "otelkit._logs.throttle",
    "otelkit._correlation.incoming_baggage",
    "otelkit._process.platform",
    "pathlib",
    # what only span processors, error fingerprinting or EMF beside the SDK use
    "otelkit._sdk.span_processing",
    "otelkit._sdk.redaction",
    "otelkit._logs.error_aggregation",
    "otelkit._metering.meter_tee",
    # an HTTP API event is recognised before the record and service detectors
    "otelkit.aws._record_sources",
    "otelkit.aws._service_sources",
)

_PROBE = """
import json, sys
import otelkit, otelkit.aws
otelkit.configure()
with otelkit.span("work"):
    otelkit.get_logger("probe").info("line")
otelkit.count("Things", 1)
otelkit.flush()

class Context:  # what the runtime passes, as far as the handler reads it
    function_name = "orders"
    aws_request_id = "req-1"
    memory_limit_in_mb = "128"
    invoked_function_arn = "arn:aws:lambda:us-east-1:123456789012:function:orders"

    def get_remaining_time_in_millis(self):
        return 30000

@otelkit.aws.lambda_handler
def handler(event, context):
    otelkit.get_logger("probe").info("handled")
    return {"statusCode": 200}

http_api = {"version": "2.0", "rawPath": "/orders", "requestContext": {"http": {"method": "GET"}}}
handler(http_api, Context())
print("MODULES", json.dumps(sorted(sys.modules)))
"""


def _loaded(env: dict[str, str], probe: str = _PROBE) -> tuple[set[str], str]:
    base = {k: v for k, v in os.environ.items() if not k.startswith(("OTEL", "AWS_LAMBDA"))}
    done = subprocess.run(
        [sys.executable, "-c", probe],
        env={**base, **env},
        capture_output=True,
        text=True,
        check=True,
    )
    lines = done.stdout.splitlines()
    modules = next(line for line in lines if line.startswith("MODULES "))
    return set(json.loads(modules.removeprefix("MODULES "))), done.stdout


def _under(loaded: set[str], package: str) -> list[str]:
    return sorted(m for m in loaded if m == package or m.startswith(package + "."))


EMF_ONLY = {
    "AWS_LAMBDA_FUNCTION_NAME": "orders",
    "OTELKIT_EMF_NAMESPACE": "Orders",
    "OTEL_SERVICE_NAME": "orders",
}


def test_an_emf_only_function_loads_no_exporter_http_stack_or_unused_sdk_package() -> None:
    loaded, output = _loaded(EMF_ONLY)
    found = {name: _under(loaded, name) for name in NOT_ON_THE_EMF_PATH}
    assert not any(found.values()), {k: v for k, v in found.items() if v}
    # and it still did its work: the line and the EMF document are written
    assert '"message":"line"' in output.replace(" ", "")
    assert '"message":"handled"' in output.replace(" ", "")
    assert '"_aws"' in output
    assert '"Things"' in output


def test_a_function_with_an_endpoint_loads_the_exporters() -> None:
    # The probe is not blind: the same configuration with an endpoint does load them.
    loaded, _ = _loaded({**EMF_ONLY, "OTEL_EXPORTER_OTLP_ENDPOINT": "http://127.0.0.1:9"})
    assert _under(loaded, "otelkit._sdk.otlp_export")
    assert _under(loaded, "opentelemetry.sdk.metrics")


#: What a function exporting over OTLP needs only once it sends (its first flush, on
#: Lambda after the first response): the HTTP stack and protobuf's generated classes.
NOT_BEFORE_SENDING = (
    "http.client",
    "ssl",
    "email",
    "gzip",
    "otelkit._sdk.http_socket",
    "otelkit._sdk.http_wire",
    "opentelemetry.proto",
    "opentelemetry.exporter.otlp.proto.common",
)

_CONFIGURED = """
import json, sys
import otelkit
otelkit.configure()
otelkit.get_logger("probe").info("line")
print("MODULES", json.dumps(sorted(sys.modules)))
otelkit.flush(2.0)
print("SENT", json.dumps(sorted(sys.modules)))
"""


def test_an_exporting_function_loads_its_http_stack_when_it_first_sends() -> None:
    env = {**EMF_ONLY, "OTEL_EXPORTER_OTLP_ENDPOINT": "http://127.0.0.1:9"}
    loaded, output = _loaded(env, _CONFIGURED)
    found = {name: _under(loaded, name) for name in NOT_BEFORE_SENDING}
    assert not any(found.values()), {k: v for k, v in found.items() if v}
    sent = json.loads(output.split("SENT ", 1)[1].splitlines()[0])
    assert "otelkit._sdk.http_socket" in sent, "the flush tried to send"


def test_a_function_whose_metrics_go_nowhere_loads_no_sdk_metrics_package() -> None:
    # No EMF namespace, no endpoint: a count has nowhere to go, so no SDK meter provider.
    loaded, output = _loaded({"AWS_LAMBDA_FUNCTION_NAME": "orders", "OTEL_SERVICE_NAME": "orders"})
    assert not _under(loaded, "opentelemetry.sdk.metrics")
    assert '"message":"line"' in output.replace(" ", "")
    assert '"_aws"' not in output


def test_what_loads_on_first_use_loads_and_works_when_used() -> None:
    # The same probe, then an SQS batch and a job: the deferred modules load and do
    # their work (a span per record, the job's lines), and the public names still report
    # their public module.
    sqs = """
batch = {"Records": [{"messageId": "m-1", "eventSource": "aws:sqs", "body": "{}",
                      "eventSourceARN": "arn:aws:sqs:us-east-1:123456789012:orders",
                      "messageAttributes": {}, "attributes": {}}]}
handler(batch, Context())
with otelkit.job("nightly", job_id="job-1"):
    otelkit.get_logger("probe").info("in the job")
assert otelkit.job.__module__ == "otelkit", otelkit.job.__module__
assert otelkit.aws.process_message.__module__ == "otelkit.aws"
"""
    probe = _PROBE.replace('print("MODULES"', sqs + 'print("MODULES"')
    loaded, output = _loaded(EMF_ONLY, probe)
    for name in ("otelkit.aws._records", "otelkit.aws._consume", "otelkit._scopes.lifecycle"):
        assert _under(loaded, name), name
    assert '"job_id":"job-1"' in output.replace(" ", "")
    assert output.count('"message":"handled"') == 2  # the HTTP invocation and the batch
