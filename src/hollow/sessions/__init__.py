"""Sessions: the one regime schema, the builder, the runner, and the day interface the world calls."""
