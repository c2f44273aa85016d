"""Risk: margin, funding and the liquidation waterfall (what an exchange does when an account fails)."""
