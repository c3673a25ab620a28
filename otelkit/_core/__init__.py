"""The active pipeline, the provider switches, drop accounting and the safety net."""
