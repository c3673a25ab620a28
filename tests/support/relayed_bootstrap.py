"""awslambdaric pointed at the Runtime API relay the harness names in
``LAMBDA_TEST_RUNTIME_API`` (the emulator sets ``AWS_LAMBDA_RUNTIME_API`` to its own).

Usage: ``python relayed_bootstrap.py module.handler``
"""

from __future__ import annotations

import os
import sys

os.environ["AWS_LAMBDA_RUNTIME_API"] = os.environ.pop("LAMBDA_TEST_RUNTIME_API")
os.execv(sys.executable, [sys.executable, "-m", "awslambdaric", *sys.argv[1:]])
