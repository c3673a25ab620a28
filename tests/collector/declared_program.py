"""A service process that emits exactly the points it is given, through otelkit's OTLP
export, and exits. Run as ``python declared_program.py POINTS.json``: a list of
``{"metric", "unit", "kind", "attributes"}``; the service name and the collector endpoint
come from the environment, as in a deployed service."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import otelkit


def main(points_file: str) -> None:
    otelkit.configure()
    for point in json.loads(Path(points_file).read_text(encoding="utf-8")):
        emit = {"count": otelkit.count, "record": otelkit.record}[point["kind"]]
        emit(point["metric"], 1, unit=point["unit"], **point["attributes"])
    otelkit.shutdown(timeout=10.0)


if __name__ == "__main__":
    main(sys.argv[1])
