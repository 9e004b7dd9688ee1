"""Products and inventory: the catalogue, stock receipts and levels."""
