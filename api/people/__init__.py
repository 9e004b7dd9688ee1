"""People and keys: the user roster, API keys for upstream systems, delegations."""
