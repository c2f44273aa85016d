"""Market layer: event kernel, order books, venues, reference prices, margin and liquidation."""
