"""HTTP requests in: incoming context, request telemetry and statistics."""
