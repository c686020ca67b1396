"""seasonal."""
