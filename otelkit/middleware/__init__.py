"""HTTP server middleware: ``asgi.OtelkitASGIMiddleware`` and ``wsgi.OtelkitWSGIMiddleware``.

Each module needs its extra (``otelkit[asgi]``, ``otelkit[wsgi]``) and is imported only
when the application imports it.
"""
