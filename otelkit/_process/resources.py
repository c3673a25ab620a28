"""What the process uses right now: memory, CPU, threads, open files, garbage collection.

Read with psutil (the ``runtime`` extra) when it is installed; without it, the standard
library's view (peak memory, thread count, GC counters) is reported and ``psutil`` says
it is missing, so ``/health`` still answers.
"""

from __future__ import annotations

import gc
import os
import platform
import socket
import threading
from typing import Any

try:
    import psutil
except ImportError:  # pragma: no cover - the runtime extra is installed in the tests
    psutil = None

_process: Any = None


def _psutil_process() -> Any:
    global _process
    if _process is None or _process.pid != os.getpid():  # a fork has its own
        _process = psutil.Process()
        _process.cpu_percent(None)  # the first call only starts the measurement
    return _process


def process_resources() -> dict[str, Any]:
    """``memory_mb``, ``memory_percent``, ``cpu_percent``, ``num_threads``, ``open_files``
    and GC counters of this process."""
    collections = sum(stat["collections"] for stat in gc.get_stats())
    if psutil is None:
        import resource

        peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        return {
            "memory_peak_mb": round(peak_kb / 1024, 1),
            "num_threads": threading.active_count(),
            "gc_collections": collections,
            "psutil": "not installed",
        }
    process = _psutil_process()
    with process.oneshot():
        memory = process.memory_info()
        resources = {
            "memory_mb": round(memory.rss / 1024 / 1024, 1),
            "memory_percent": round(process.memory_percent(), 2),
            "cpu_percent": round(process.cpu_percent(None), 1),
            "num_threads": process.num_threads(),
            "open_files": process.num_fds()
            if hasattr(process, "num_fds")
            else len(process.open_files()),
        }
    resources["gc_collections"] = collections
    return resources


def system_info() -> dict[str, Any]:
    """Host name, platform and Python version."""
    return {
        "hostname": socket.gethostname(),
        "platform": platform.platform(terse=True),
        "python_version": platform.python_version(),
        "pid": os.getpid(),
    }


# Users import it from otelkit.runtime: reprs, help() and pickle say so.
process_resources.__module__ = "otelkit.runtime"
