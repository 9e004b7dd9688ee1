"""Invoices and credit notes as finance and customers read them."""
