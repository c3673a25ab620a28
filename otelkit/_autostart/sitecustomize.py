"""Imported by the interpreter at start-up of a program run with ``otelkit run``: sets
otelkit up before the program's first line (this directory is on its ``PYTHONPATH``)."""

from otelkit._autostart.launch import launch

launch()
