"""The largest number any input may hold, in a module light enough for the CLI to import at start-up."""

MAX_MAGNITUDE = 2**53
"""The largest number any field or flag may hold: the order book's largest price or quantity, and the
largest integer a float holds exactly, so no input alone can push an int64 conversion over."""
