"""Spans: ``span()`` and ``@traced``."""
