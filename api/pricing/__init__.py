"""Price rules: contract price lists with quantity breaks, and promotions."""
