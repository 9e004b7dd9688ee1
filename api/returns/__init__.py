"""Returns and exchanges: authorized by customer service, received by the warehouse."""
