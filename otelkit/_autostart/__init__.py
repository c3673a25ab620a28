"""The start-up hook of ``otelkit run`` (see ``launch``)."""
