"""Correlation: bound IDs and what crosses a process boundary."""
