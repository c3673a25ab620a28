"""An OTLP/HTTP receiver on loopback that checks SigV4 signatures as AWS would.

For each request it rebuilds the canonical request from what arrived (method, path,
the headers the signature names, the body), recomputes the signature with botocore for
the credentials the test configured, and answers 403 on any mismatch, as the AWS OTLP
endpoints do. Bodies may be gzipped (the collector's ``otlphttp`` compresses). What it
accepted, and every verdict, is recorded for the test.
"""

from __future__ import annotations

import gzip
import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from typing import Any

from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from google.protobuf.json_format import MessageToDict

from tests.support.otlp_receiver import _MESSAGES
from tests.support.servers import http_server

ACCESS_KEY, SECRET_KEY, TOKEN = "AKIDOTELKITTEST", "c2VjcmV0LWtleS1mb3ItdGVzdHM", "tok/en+="
_AUTHORIZATION = re.compile(
    r"AWS4-HMAC-SHA256 Credential=(?P<key>[^/]+)/(?P<date>\d{8})/(?P<region>[^/]+)/"
    r"(?P<service>[^/]+)/aws4_request, SignedHeaders=(?P<signed>[^,]+), "
    r"Signature=(?P<signature>[0-9a-f]{64})$"
)


@dataclass
class Verdict:
    """One request as received: where it went, what it was signed for, whether it held."""

    path: str
    service: str | None
    region: str | None
    signed_headers: list[str]
    valid: bool
    headers: dict[str, str]
    body: dict[str, Any] | None = None


@dataclass
class Received:
    verdicts: list[Verdict] = field(default_factory=list)

    def by_path(self, path: str) -> list[Verdict]:
        return [v for v in self.verdicts if v.path == path]


def expected_signature(
    method: str, url: str, headers: dict[str, str], body: bytes, secret: str = SECRET_KEY
) -> tuple[str | None, dict[str, str]]:
    """The signature botocore computes for this request (None if it names no signature)."""
    found = _AUTHORIZATION.match(headers.get("authorization", ""))
    if found is None:
        return None, {}
    signed = found["signed"].split(";")
    request = AWSRequest(
        method=method,
        url=url,
        data=body,
        headers={name: headers[name] for name in signed if name != "host"},
    )
    request.context["timestamp"] = headers.get("x-amz-date", "")
    credentials = Credentials(found["key"], secret, headers.get("x-amz-security-token"))
    signer = SigV4Auth(credentials, found["service"], found["region"])
    canonical = signer.canonical_request(request)
    signature = signer.signature(signer.string_to_sign(request, canonical), request)
    return signature, dict(found.groupdict())


@contextmanager
def sigv4_receiver() -> Iterator[tuple[str, Received]]:
    """Serve on 127.0.0.1 (port 0); yield (base URL, what was received)."""
    received = Received()
    lock = threading.Lock()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            headers = {name.lower(): value for name, value in self.headers.items()}
            url = f"http://{headers['host']}{self.path}"
            expected, parts = expected_signature("POST", url, headers, body)
            valid = (
                expected is not None
                and expected == parts.get("signature")
                and parts.get("key") == ACCESS_KEY
                and headers.get("x-amz-security-token") == TOKEN
            )
            verdict = Verdict(
                self.path,
                parts.get("service"),
                parts.get("region"),
                parts.get("signed", "").split(";"),
                valid,
                headers,
            )
            message_type = _MESSAGES.get(self.path.replace("/custom", ""))
            if valid and message_type is not None:
                message = message_type()
                # The signature covers the body as sent; the collector gzips it.
                gzipped = headers.get("content-encoding") == "gzip"
                message.ParseFromString(gzip.decompress(body) if gzipped else body)
                verdict.body = MessageToDict(message)
            with lock:
                received.verdicts.append(verdict)
            self.send_response(200 if valid else 403)
            self.send_header("Content-Type", "application/x-protobuf")
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, format: str, *args: Any) -> None:
            pass

    with http_server(Handler) as url:
        yield url, received
