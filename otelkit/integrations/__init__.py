"""Library instrumentations turned on by ``configure(instrument=...)``, one module each,
imported only when enabled (``botocore``, ``httpx``).
"""
