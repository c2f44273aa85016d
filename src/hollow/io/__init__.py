"""The edges every command shares: input and output paths checked by identity, UTF-8 text, one-line
messages, and run folders that are written whole or not at all (see docs/errors.md)."""
