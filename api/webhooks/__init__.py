"""Outgoing webhooks: subscriptions of upstream systems and the deliveries made to them."""
