"""The code blocks of docs/log-volume.md.

Each block sits between ``# doc: NAME`` and ``# doc: end``; tests/test_docs_blocks.py
checks that the page shows exactly these lines and runs this file.
"""

from __future__ import annotations

import otelkit

# doc: caps
otelkit.configure(max_message_chars=200, max_field_chars=2000)
# or: OTELKIT_MAX_MESSAGE_CHARS=200 OTELKIT_MAX_FIELD_CHARS=2000
# doc: end

# doc: dedup
otelkit.configure(error_dedup_every=10)      # or OTELKIT_ERROR_DEDUP_EVERY=10
# doc: end

# doc: sampling
otelkit.configure(log_sample_rate=0.1)       # or OTELKIT_LOG_SAMPLE_RATE=0.1
# doc: end


class Clock:
    """The block's ``time``: its sleep ends the polling loop instead of waiting."""

    def sleep(self, seconds: float) -> None:
        global done
        done = True


time = Clock()
done = False
attempt = 1

# doc: throttled
log = otelkit.get_logger(__name__)
polling = otelkit.throttled(log, every=12)        # one call in 12: a line a minute
# or: otelkit.throttled(log, interval=60.0)       # at most one line a minute

while not done:
    polling.info("Kling still processing", attempt=attempt)
    time.sleep(5)
# doc: end
