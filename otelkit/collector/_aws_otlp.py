"""The current AWS path: X-Ray's and CloudWatch Logs' OTLP endpoints, signed with SigV4.

AWS now documents sending traces to ``https://xray.<region>.amazonaws.com/v1/traces``
(spans land in the ``aws/spans`` log group, searchable with Transaction Search) and
logs to ``https://logs.<region>.amazonaws.com/v1/logs`` through the generic
``otlphttp`` exporter, each with a ``sigv4auth`` extension that signs for its service,
instead of the ``awsxray`` and ``awscloudwatchlogs`` exporters. The logs endpoint
writes to an existing log group and stream named by two headers.
"""

from __future__ import annotations

from typing import Any

from otelkit.collector._model import CollectorModel

Config = dict[str, Any]

TRACES_ENDPOINT = "https://xray.{region}.amazonaws.com/v1/traces"
LOGS_ENDPOINT = "https://logs.{region}.amazonaws.com/v1/logs"
#: The stream the collector writes to, on either path.
LOG_STREAM = "collector"

#: Exporter and extension IDs, one signer per service: a signature names its service.
XRAY_EXPORTER = "otlphttp/xray"
LOGS_EXPORTER = "otlphttp/cloudwatchlogs"
XRAY_SIGNER = "sigv4auth/xray"
LOGS_SIGNER = "sigv4auth/logs"


def xray_exporter(model: CollectorModel) -> Config:
    return {
        XRAY_EXPORTER: {
            "traces_endpoint": TRACES_ENDPOINT.format(region=model.region),
            # Both endpoints accept gzip or no compression, nothing else.
            "compression": "gzip",
            "auth": {"authenticator": XRAY_SIGNER},
        }
    }


def logs_exporter(model: CollectorModel) -> Config:
    return {
        LOGS_EXPORTER: {
            "logs_endpoint": LOGS_ENDPOINT.format(region=model.region),
            "compression": "gzip",
            "headers": {
                "x-aws-log-group": model.cloudwatch_log_group,
                "x-aws-log-stream": LOG_STREAM,
            },
            "auth": {"authenticator": LOGS_SIGNER},
        }
    }


def signers(model: CollectorModel, exporters: Config) -> Config:
    """The ``sigv4auth`` extensions the rendered ``exporters`` authenticate with."""
    used = {
        settings["auth"]["authenticator"]
        for settings in exporters.values()
        if isinstance(settings.get("auth"), dict)
    }
    services = {XRAY_SIGNER: "xray", LOGS_SIGNER: "logs"}
    return {
        signer: {"region": model.region, "service": service}
        for signer, service in services.items()
        if signer in used
    }
