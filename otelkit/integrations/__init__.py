"""Library instrumentations turned on by ``configure(instrument=...)``, one module each,
imported only when enabled (the table is in docs/instrumentations.md; modules whose name
starts with ``_`` are shared helpers, not integrations).
"""
