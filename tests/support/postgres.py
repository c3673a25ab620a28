"""A throwaway PostgreSQL server on loopback for the tests: a new cluster in a temporary
directory, trust authentication, nothing left behind.

PostgreSQL refuses to run as root, so as root (CI) the cluster belongs to the
``postgres`` user Debian's package creates and its programs run as that user.
"""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager

INSTALL_HINT = "PostgreSQL is not installed: `make system-deps` (Debian's postgresql package)"
_USER = "postgres"


def _bin_dir() -> str:
    found = shutil.which("initdb")
    if found:
        return os.path.dirname(os.path.realpath(found))  # a PATH link to the real directory
    # Debian keeps the server programs off PATH, one directory per major version.
    versions = sorted(
        glob.glob("/usr/lib/postgresql/*/bin/initdb"),
        key=lambda path: int(path.split("/")[4]) if path.split("/")[4].isdigit() else 0,
    )
    if not versions:
        raise RuntimeError(INSTALL_HINT)
    return os.path.dirname(versions[-1])


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _as_owner(command: list[str]) -> list[str]:
    return ["runuser", "-u", _USER, "--", *command] if os.geteuid() == 0 else command


@contextmanager
def postgres_server() -> Iterator[str]:
    """Start PostgreSQL on 127.0.0.1 and a free port; yield a libpq connection string for
    the ``postgres`` superuser and database."""
    bin_dir = _bin_dir()
    with tempfile.TemporaryDirectory(prefix="postgres-") as workdir:
        data = os.path.join(workdir, "data")
        if os.geteuid() == 0:
            shutil.chown(workdir, _USER)
        subprocess.run(
            _as_owner([f"{bin_dir}/initdb", "-D", data, "-U", _USER, "--auth=trust", "--no-sync"]),
            check=True,
            capture_output=True,
        )
        port = _free_port()
        server = subprocess.Popen(
            _as_owner(
                [
                    f"{bin_dir}/postgres",
                    "-D",
                    data,
                    "-h",
                    "127.0.0.1",
                    "-p",
                    str(port),
                    "-k",
                    workdir,
                    "-c",
                    "fsync=off",
                ]
            ),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            deadline = time.monotonic() + 20
            while True:
                ready = subprocess.run(
                    [f"{bin_dir}/pg_isready", "-h", "127.0.0.1", "-p", str(port)],
                    capture_output=True,
                )
                if ready.returncode == 0:
                    break
                if server.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError("PostgreSQL did not start")
                time.sleep(0.05)
            yield f"host=127.0.0.1 port={port} user={_USER} dbname=postgres"
        finally:
            server.terminate()  # "smart" shutdown: waits for the test's connections
            try:
                server.wait(timeout=10)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait()
