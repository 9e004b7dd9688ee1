"""Oversight: the audit trail and the notification outbox."""
