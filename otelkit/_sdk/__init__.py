"""The only package that imports the OpenTelemetry SDK (``opentelemetry.sdk``).

Everything else in otelkit uses the OpenTelemetry API only, so libraries can decorate with
otelkit without forcing setup on the application, and ``import otelkit`` stays cheap: these
modules are imported by the first ``configure()`` or ``testing.capture()``. An
import-linter contract (``make test``) keeps it that way.
"""
