"""A real HTTP/1.1 socket server on loopback that answers with the exact bytes a test
scripts: for clients otelkit writes itself (the Extensions API client, the collector
connection), to reach the framings and failures an ordinary server never sends."""

from __future__ import annotations

import socket
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

Reply = Callable[[bytes], bytes | None]  # request bytes -> reply bytes, None: hang up


class ScriptedServer:
    """Serves each request with ``reply(request)``; records requests and connections.
    ``close_after``: hang up after each reply (the reply's end is the connection's)."""

    def __init__(self, reply: Reply, close_after: bool = False) -> None:
        self.reply = reply
        self.close_after = close_after
        self.requests: list[bytes] = []
        self.connections = 0
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.api = f"127.0.0.1:{self.port}"
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                sock, _ = self.listener.accept()
            except OSError:
                return
            self.connections += 1
            threading.Thread(target=self._serve, args=(sock,), daemon=True).start()

    def _serve(self, sock: socket.socket) -> None:
        with sock, sock.makefile("rb") as reader:
            while head := _request_head(reader):
                length = next(
                    (
                        int(line.split(b":")[1])
                        for line in head.split(b"\r\n")
                        if line.lower().startswith(b"content-length:")
                    ),
                    0,
                )
                request = head + reader.read(length)
                self.requests.append(request)
                answer = self.reply(request)
                if answer is None:
                    return
                sock.sendall(answer)
                if self.close_after:
                    return


def _request_head(reader: Any) -> bytes:
    lines = []
    while (line := reader.readline()) not in (b"\r\n", b""):
        lines.append(line)
    return b"".join(lines) + b"\r\n" if lines else b""


@contextmanager
def scripted_server(reply: Reply, close_after: bool = False) -> Iterator[ScriptedServer]:
    server = ScriptedServer(reply, close_after)
    try:
        yield server
    finally:
        server.listener.close()
