"""``make lambda-layer``'s zip as Lambda uses it: unpacked (Lambda mounts it at /opt),
its ``python/`` directory on the path, and nothing else of this checkout's: the
interpreter runs without site-packages, the runtime interface client copied beside it
as Lambda's own /var/runtime. A handler that logs, counts and exports runs in the
emulator from what the layer holds."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import sysconfig
import textwrap
import zipfile
from pathlib import Path

import pytest

from tests.support.lambda_runtime import lambda_function
from tests.support.otlp_receiver import otlp_receiver

ROOT = Path(__file__).resolve().parents[1]
#: The runtime interface client and what it needs: Lambda's runtime, not the layer's.
RUNTIME_PARTS = ("awslambdaric", "runtime_client.*.so", "simplejson", "snapshot_restore_py.py")

HANDLER = """
import json, sys
import otelkit
from otelkit.aws import lambda_handler

log = otelkit.get_logger("layered")


@lambda_handler
def handler(event, context):
    with otelkit.span("work"):
        log.info("from the layer")
    otelkit.count("LayerInvocations", 1)
    loaded = {name: getattr(sys.modules.get(name), "__file__", None)
              for name in ("otelkit", "opentelemetry.sdk.trace", "google.protobuf", "requests")}
    return {"statusCode": 200, "body": json.dumps(loaded)}
"""


@pytest.fixture(scope="module")
def layer(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The layer built by the make target, unpacked as Lambda mounts it."""
    out = tmp_path_factory.mktemp("layer")
    zipped = out / "layer.zip"
    subprocess.run(
        ["make", "-s", "lambda-layer", f"LAYER={zipped}", f"LAYER_PYTHON={sys.executable}"],
        cwd=ROOT,
        check=True,
        capture_output=True,
    )
    with zipfile.ZipFile(zipped) as archive:
        names = archive.namelist()
        archive.extractall(out / "opt")
    assert all(name.startswith("python/") for name in names), names[:5]
    tag = sys.implementation.cache_tag
    assert f"python/otelkit/__pycache__/__init__.{tag}.pyc" in names  # bytecode shipped
    return out / "opt" / "python"


def _runtime_dir(into: Path) -> Path:
    site = Path(sysconfig.get_paths()["purelib"])
    runtime = into / "runtime"
    runtime.mkdir()
    for source in (found for part in RUNTIME_PARTS for found in site.glob(part)):
        part = source.name
        if source.is_dir():
            shutil.copytree(source, runtime / part)
        else:
            shutil.copy2(source, runtime / part)
    return runtime


@pytest.mark.slow
def test_a_function_runs_otelkit_from_the_layer_alone(layer: Path, tmp_path: Path) -> None:
    task = tmp_path / "task"
    task.mkdir()
    (task / "layered.py").write_text(textwrap.dedent(HANDLER))
    runtime = _runtime_dir(tmp_path)
    # -S: no site-packages (neither this venv's nor the base interpreter's)
    python = (getattr(sys, "_base_executable", sys.executable), "-S")
    with otlp_receiver() as (endpoint, received):
        env = {"OTELKIT_EMF_NAMESPACE": "Layered", "OTEL_EXPORTER_OTLP_ENDPOINT": endpoint}
        with lambda_function(
            "layered.handler", env, task_dir=task, python=python, path=(runtime, layer)
        ) as function:
            response = function.invoke({"ping": 1})
            function.invoke({"ping": 2})
            function.reports(2)
            lines = function.log_lines()
            documents = [json.loads(line) for line in function.lines if '"_aws"' in line]
        spans = received.spans()
    assert response.status == 200, function.dump()
    loaded = json.loads(response.body["body"])
    assert loaded["otelkit"] is not None, loaded
    # What the function loaded came from the layer (requests, say, need not load at all).
    assert all(str(file).startswith(str(layer)) for file in loaded.values() if file), loaded
    mine = [line for line in lines if line["message"] == "from the layer"]
    assert [line["cold_start"] for line in mine] == [True, False], function.dump()
    assert sum(d.get("LayerInvocations", 0) for d in documents) == 2, documents
    assert {span["name"] for span in spans} >= {"work"}, spans
