"""The process itself: platform fields, resource readings, SIGTERM."""
