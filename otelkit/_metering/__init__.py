"""Metrics: the API calls, EMF documents and rules, meter tee, system metrics."""
