"""CLI commands: core."""
