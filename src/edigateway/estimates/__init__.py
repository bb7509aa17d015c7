"""Patient cost estimates from a 271's dental benefits (pure functions, no I/O)."""
