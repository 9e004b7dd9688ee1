"""Production orders of custom orders: the plant's events in, the production's course out."""
