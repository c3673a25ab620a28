"""``python -m otelkit.collector`` runs the same command as ``otelkit collector``."""

from __future__ import annotations

import sys

from otelkit.collector._cli import main

if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
