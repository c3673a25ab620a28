"""SigV4-signed OTLP/HTTP: traces and logs straight to AWS, with no collector in between.

CloudWatch takes OTLP at ``https://xray.<region>.amazonaws.com/v1/traces`` and
``https://logs.<region>.amazonaws.com/v1/logs`` (the log group and stream in the
``x-aws-log-group`` / ``x-aws-log-stream`` headers), authenticated with Signature
Version 4 like any AWS API. Each request is signed as it leaves (after compression)
with botocore, from the process's credentials (the function's role on Lambda, the task
role on ECS).

Credentials are resolved at the first export, not at ``configure()``: on Lambda they
are read from the environment at once; elsewhere botocore's chain may make a network
call that start-up should not wait for, and it refreshes expiring credentials itself.
"""

from __future__ import annotations

import os
import re
import threading
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

#: The CloudWatch OTLP endpoints: ``xray`` (traces) and ``logs``, by region.
AWS_OTLP_HOST = re.compile(r"^(?P<service>xray|logs)\.(?P<region>[a-z0-9-]+)\.amazonaws\.com$")
#: The service name in the signature, by signal, when the host does not say it.
SERVICE_BY_SIGNAL = {"traces": "xray", "logs": "logs"}
#: Request headers covered by the signature besides ``host``: what the endpoint reads.
_SIGNED = ("content-type", "content-encoding")


def aws_otlp_endpoint(url: str) -> re.Match[str] | None:
    """The service and region of a CloudWatch OTLP endpoint URL, or None for any other."""
    host = urlsplit(url).hostname or ""
    return AWS_OTLP_HOST.match(host) if url.startswith("https://") else None


def wants_signing(url: str, forced: bool | None) -> bool:
    """Sign when asked to, or (unless turned off) when the URL is an AWS OTLP endpoint."""
    return forced if forced is not None else aws_otlp_endpoint(url) is not None


class SigV4Auth:
    """Signs each OTLP request for ``service`` in ``region`` with botocore: called with
    the request's URL, headers and body, it returns the headers to add.

    Args:
        service: ``xray`` for traces, ``logs`` for logs.
        region: the endpoint's region.
    """

    def __init__(self, service: str, region: str) -> None:
        self.service = service
        self.region = region
        self._credentials: Any = None
        self._lock = threading.Lock()

    def _current_credentials(self) -> Any:
        with self._lock:
            if self._credentials is None:
                self._credentials = _credentials()
        return self._credentials.get_frozen_credentials()

    def __call__(self, url: str, headers: Mapping[str, str], body: bytes) -> dict[str, str]:
        from botocore.auth import SigV4Auth as BotocoreSigner
        from botocore.awsrequest import AWSRequest

        signed = {
            name: value
            for name, value in headers.items()
            if name.lower() in _SIGNED or name.lower().startswith("x-aws-")
        }
        unsigned = AWSRequest(method="POST", url=url, data=body, headers=signed)
        BotocoreSigner(self._current_credentials(), self.service, self.region).add_auth(unsigned)
        added = {}
        for name in ("Authorization", "X-Amz-Date", "X-Amz-Security-Token"):
            value = unsigned.headers.get(name)
            if value is not None:
                added[name] = str(value)
        return added


def _credentials() -> Any:
    """The process's AWS credentials: the environment's when complete (Lambda sets them
    for the function's role; reading them costs nothing), else botocore's whole chain
    (profiles, container and instance roles), which refreshes what expires."""
    from botocore.credentials import Credentials

    key, secret = os.environ.get("AWS_ACCESS_KEY_ID"), os.environ.get("AWS_SECRET_ACCESS_KEY")
    if key and secret:
        return Credentials(key, secret, os.environ.get("AWS_SESSION_TOKEN"))
    import botocore.session  # ~150 ms with its data files: only when needed

    found = botocore.session.get_session().get_credentials()
    if found is None:
        raise RuntimeError(
            "SigV4 signing of OTLP exports needs AWS credentials (none found "
            "in the environment, config files or an instance/task role)"
        )
    return found


def signer_for(url: str, signal: str, forced: bool | None) -> SigV4Auth | None:
    """The signer of exports to ``url``, or None when they go unsigned.

    Raises:
        ValueError: signing is wanted but no region is known (neither in the endpoint's
            host nor in ``AWS_REGION`` / ``AWS_DEFAULT_REGION``).
    """
    if not wants_signing(url, forced):
        return None
    found = aws_otlp_endpoint(url)
    region = (
        found["region"]
        if found
        else (os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION"))
    )
    if not region:
        raise ValueError(
            f"OTELKIT_AWS_SIGV4: cannot tell the AWS region to sign {url} for; set AWS_REGION"
        )
    return SigV4Auth(found["service"] if found else SERVICE_BY_SIGNAL[signal], region)
