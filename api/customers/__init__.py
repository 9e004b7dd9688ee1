"""Customers: their accounts, credit limits and owners."""
