"""Jobs and sessions: scopes, their lifecycle records and resource events."""
