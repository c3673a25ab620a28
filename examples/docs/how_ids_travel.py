"""The code blocks of docs/how-ids-travel.md.

Each block sits between ``# doc: NAME`` and ``# doc: end``; tests/test_docs_blocks.py
checks that the page shows exactly these lines and runs this file.
"""

from __future__ import annotations

import otelkit

# doc: propagate_to
otelkit.configure(propagate_to=["*.corp.example.com", "billing-api"])
# doc: end

# doc: private_ids
otelkit.configure(private_ids=["user_id", "email_hash"])
# doc: end
