"""The approval policy, as data."""
