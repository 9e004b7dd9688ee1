"""Fulfilment: the warehouse's pick lists and its packing confirmations."""
