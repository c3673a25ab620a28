"""The ``otelkit`` subcommands for logs, traces and health."""
