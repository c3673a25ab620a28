"""Logs: the root handler, log events, buffering, caps, files, error aggregation."""
