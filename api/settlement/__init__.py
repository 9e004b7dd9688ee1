"""Finance: refunds and reconciliation cases."""
