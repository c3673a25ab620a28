"""An OTLP/HTTP sink for benchmarks, run as its own process: accepts every export with
200 and discards it, so the exporting process pays for encoding and sending, not for
anyone decoding. Prints its port on the first line of stdout."""

from __future__ import annotations

from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class Sink(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        self.send_response(200)
        self.send_header("Content-Type", "application/x-protobuf")
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, format: str, *args: object) -> None:
        """Silent: the benchmark reads only the port line."""


def main() -> None:
    server = ThreadingHTTPServer(("127.0.0.1", 0), Sink)
    print(server.server_address[1], flush=True)
    server.serve_forever()  # until the benchmark run terminates it


if __name__ == "__main__":
    main()
