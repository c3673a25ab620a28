"""Helpers shared by the tests, imported one way only: ``from tests.support.X import ...``.

``servers`` (real servers on loopback, the examples' local services among them),
``polling`` (waiting for a condition), ``otlp_receiver`` (a collector stand-in decoding
OTLP/HTTP), ``examples`` (running an example as a program), and two scripts run as child
processes: ``http_services`` and ``message_consumer``.
"""
