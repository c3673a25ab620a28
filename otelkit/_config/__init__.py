"""Configuration: the settings table, its parsers and its docs."""
