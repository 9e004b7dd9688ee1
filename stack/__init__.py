"""Local services for development and tests: embedded PostgreSQL, Temporal dev server."""
