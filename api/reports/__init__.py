"""Reports finance reads."""
