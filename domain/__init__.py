"""Pure business rules: no I/O, importable from the workflow sandbox."""
