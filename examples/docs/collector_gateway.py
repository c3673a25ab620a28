"""The code block of docs/collector-gateway.md; run in a scratch folder, it writes there.

The block sits between ``# doc: NAME`` and ``# doc: end``; tests/test_docs_blocks.py
checks that the page shows exactly these lines and runs this file.
"""

from __future__ import annotations

# doc: render
from pathlib import Path

from otelkit.collector import agent_text, gateway_model_for, gateway_text

model = gateway_model_for("eks", sampling_percentage=5.0, slow_threshold_ms=2000)
Path("gateway-config.yaml").write_text(gateway_text(model))
Path("agent-config.yaml").write_text(agent_text(model))
# doc: end
assert "sampling_percentage: 5" in Path("gateway-config.yaml").read_text()
