"""Redaction: what a secret is, by name and by look, and scrubbing it."""
