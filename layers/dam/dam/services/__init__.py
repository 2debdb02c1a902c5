"""Use cases. They take ports (repositories, storage) and plain values; they never read the environment."""
