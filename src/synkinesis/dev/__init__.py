"""Developer tools: not used by the measurement itself (validation, test-case generation)."""
