"""Every side effect of the order process, one class per concern."""
